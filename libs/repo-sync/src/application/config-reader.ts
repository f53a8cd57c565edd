import type { ScmReader } from '@sluice/scm';
import { configFolderOf, MAX_DEPLOY_YAML_BYTES, parseDeployConfig, type ParsedConfig } from '../domain/deploy-config';
import type { ConfigScan } from './catalogue';

/**
 * Reads the deploy configs of a repository at a commit through the SCM port (git trees
 * and blobs of `deploy/`): every `deploy/<name>/deploy.yaml` parsed and validated.
 * Only reads; the caller decides in a transaction afterwards.
 */
export class ConfigReader {
  constructor(private readonly scm: ScmReader) {}

  async readAt(fullName: string, sha: string, defaultBranch: string): Promise<ConfigScan> {
    const files = await this.scm.readTree(fullName, sha, 'deploy', {
      include: (path) => configFolderOf(path) !== null,
      maxFileBytes: MAX_DEPLOY_YAML_BYTES,
    });
    const byFolder = new Map<string, ParsedConfig>();
    for (const file of files) {
      const folder = configFolderOf(file.path);
      if (!folder) continue;
      // deploy.yaml wins over deploy.yml when a folder has both.
      if (byFolder.has(folder) && file.path.endsWith('.yml')) continue;
      byFolder.set(
        folder,
        file.content === null
          ? { ok: false, path: folder, errors: [{ path: '(file)', message: `larger than ${MAX_DEPLOY_YAML_BYTES} bytes` }] }
          : parseDeployConfig({ configRepo: fullName, folder, content: file.content, defaultBranch }),
      );
    }
    return { sha, parsed: [...byFolder.values()] };
  }
}
