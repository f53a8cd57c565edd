import { scmReaderFromSettings, sharedScmClients, type ScmReader } from '@sluice/scm';
import type { RepoSyncConfig } from '../../repo-sync.config';

type ScmSettings = Pick<RepoSyncConfig, 'GITHUB_API_URL' | 'GITHUB_TOKEN' | 'GITHUB_APP_ID' | 'GITHUB_APP_PRIVATE_KEY'>;

/** Without credentials the catalogue still follows webhooks; reading configs and global sync fail with a clear error. */
export function scmFromConfig(config: ScmSettings, logger?: { warn(obj: object, msg: string): void }): ScmReader {
  return scmReaderFromSettings(config, logger);
}

type ProviderSettings = Partial<Pick<RepoSyncConfig, 'GITLAB_API_URL' | 'GITLAB_TOKEN' | 'BITBUCKET_API_URL' | 'BITBUCKET_TOKEN'>>;

/**
 * The readers of the other providers whose credentials are configured (docs/architecture.md §2):
 * GitLab with GITLAB_TOKEN, Bitbucket Cloud with BITBUCKET_TOKEN, on the process's shared clients
 * and rate budgets. A provider without one is followed by webhook only: its configs are not read.
 */
export function providerReadersFromConfig(config: ProviderSettings): { gitlab?: ScmReader; bitbucket?: ScmReader } {
  const clients = sharedScmClients();
  return {
    ...(config.GITLAB_TOKEN ? { gitlab: clients.gitlabScm(config.GITLAB_API_URL ?? 'https://gitlab.com/api/v4', config.GITLAB_TOKEN) } : {}),
    ...(config.BITBUCKET_TOKEN ? { bitbucket: clients.bitbucketScm(config.BITBUCKET_API_URL ?? 'https://api.bitbucket.org/2.0', config.BITBUCKET_TOKEN) } : {}),
  };
}
