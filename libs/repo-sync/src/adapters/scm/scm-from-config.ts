import { githubScmFromSettings, ScmAuthError, type ScmReader } from '@sluice/scm';
import type { RepoSyncConfig } from '../../repo-sync.config';

type ScmSettings = Pick<RepoSyncConfig, 'GITHUB_API_URL' | 'GITHUB_TOKEN' | 'GITHUB_APP_ID' | 'GITHUB_APP_PRIVATE_KEY'>;

const refuse = async (): Promise<never> => {
  throw new ScmAuthError(401, 'no GitHub credentials configured (GITHUB_TOKEN or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY)');
};

/** Without credentials the catalogue still follows webhooks; reading configs and global sync fail with a clear error. */
const unconfigured: ScmReader = {
  getRepo: refuse,
  listInstallationRepos: refuse,
  listBranches: refuse,
  getBranch: refuse,
  getCommit: refuse,
  getCombinedStatus: refuse,
  listCheckRunsForRef: refuse,
  readTree: refuse,
  readFile: refuse,
  compareCommits: refuse,
};

export function scmFromConfig(config: ScmSettings, logger?: { warn(obj: object, msg: string): void }): ScmReader {
  return githubScmFromSettings(config, logger) ?? unconfigured;
}
