import { sharedScmClients, type ScmClients } from '../clients';
import type { GitHubScm } from './github-scm';

export interface GitHubSettings {
  readonly GITHUB_API_URL: string;
  readonly GITHUB_TOKEN?: string;
  readonly GITHUB_APP_ID?: string;
  readonly GITHUB_APP_PRIVATE_KEY?: string;
}

/**
 * GitHub from the common settings (docs/architecture.md §9): App credentials win
 * over a token; null when neither is set. From the process's client registry, so every
 * service of the process shares the credentials' clients and rate budget.
 */
export function githubScmFromSettings(settings: GitHubSettings, logger?: { warn(obj: object, msg: string): void }, clients: ScmClients = sharedScmClients()): GitHubScm | null {
  if (settings.GITHUB_APP_ID && settings.GITHUB_APP_PRIVATE_KEY) {
    return clients.githubScm(settings.GITHUB_API_URL, { kind: 'app', appId: settings.GITHUB_APP_ID, privateKey: settings.GITHUB_APP_PRIVATE_KEY }, logger);
  }
  if (settings.GITHUB_TOKEN) return clients.githubScm(settings.GITHUB_API_URL, { kind: 'token', token: settings.GITHUB_TOKEN }, logger);
  return null;
}
