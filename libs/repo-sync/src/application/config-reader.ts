import type { ScmProvider } from '@sluice/contracts';
import type { ScmReader } from '@sluice/scm';
import { configFolderOf, MAX_DEPLOY_YAML_BYTES, parseDeployConfig, type ParsedConfig } from '../domain/deploy-config';
import type { ConfigScan } from './catalogue';

/** The reader of a provider's repositories; null when its credentials are not configured. */
export type ScmReaderFor = (provider: ScmProvider) => ScmReader | null;

/** GitHub's reader, and the other providers' that are configured. */
export function readersOf(github: ScmReader, others: Partial<Record<Exclude<ScmProvider, 'github'>, ScmReader>> = {}): ScmReaderFor {
  return (provider) => (provider === 'github' ? github : (others[provider] ?? null));
}

/**
 * Reads the deploy configs of a repository at a commit through the SCM port (git trees
 * and blobs of `deploy/`): every `deploy/<name>/deploy.yaml` parsed and validated.
 * Only reads; the caller decides in a transaction afterwards.
 */
export class ConfigReader {
  constructor(private readonly readerFor: ScmReaderFor) {}

  /** The provider's reader; null when its credentials are not configured. */
  reader(provider: ScmProvider): ScmReader | null {
    return this.readerFor(provider);
  }

  /** Whether the configs of this provider's repositories can be read (its credentials are configured). */
  reads(provider: ScmProvider): boolean {
    return this.readerFor(provider) !== null;
  }

  /** Through the repository's provider's API (`reads(provider)` first: a provider without a reader throws). */
  async readAt(fullName: string, sha: string, defaultBranch: string, provider: ScmProvider = 'github'): Promise<ConfigScan> {
    const scm = this.readerFor(provider);
    if (!scm) throw new Error(`no ${provider} credentials: the configs of ${fullName} cannot be read`);
    const files = await scm.readTree(fullName, sha, 'deploy', {
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
          : parseDeployConfig({ configRepo: fullName, configRepoProvider: provider, folder, content: file.content, defaultBranch }),
      );
    }
    return { sha, parsed: [...byFolder.values()] };
  }
}
