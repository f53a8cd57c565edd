import { sharedScmClients, type ScmClients } from '../clients';
import { ScmAuthError } from '../errors';
import type { ScmReader } from '../port';
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

const refuse = async (): Promise<never> => {
  throw new ScmAuthError(401, 'no GitHub credentials configured (GITHUB_TOKEN or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY)');
};

/** Without credentials: every read fails with a clear error (webhooks still flow). */
const unconfigured: ScmReader = {
  getRepo: refuse,
  listInstallationRepos: refuse,
  listBranches: refuse,
  listBranchesIfChanged: refuse,
  getBranch: refuse,
  getCommit: refuse,
  getPullRequest: refuse,
  getCombinedStatus: refuse,
  listCheckRunsForRef: refuse,
  readTree: refuse,
  readFile: refuse,
  compareCommits: refuse,
};

/** The GitHub reader of the settings, or one whose every read fails with "no GitHub credentials configured". */
export function scmReaderFromSettings(settings: GitHubSettings, logger?: { warn(obj: object, msg: string): void }): ScmReader {
  return githubScmFromSettings(settings, logger) ?? unconfigured;
}
