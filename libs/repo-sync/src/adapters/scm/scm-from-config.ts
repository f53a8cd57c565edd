import { scmReaderFromSettings, type ScmReader } from '@sluice/scm';
import type { RepoSyncConfig } from '../../repo-sync.config';

type ScmSettings = Pick<RepoSyncConfig, 'GITHUB_API_URL' | 'GITHUB_TOKEN' | 'GITHUB_APP_ID' | 'GITHUB_APP_PRIVATE_KEY'>;

/** Without credentials the catalogue still follows webhooks; reading configs and global sync fail with a clear error. */
export function scmFromConfig(config: ScmSettings, logger?: { warn(obj: object, msg: string): void }): ScmReader {
  return scmReaderFromSettings(config, logger);
}
