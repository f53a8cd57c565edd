import type { ScmProvider } from '@sluice/contracts';
import type { SpecFile } from '../domain/render';
import { SpecSourceError, type SpecSource } from '../application/ports';

/**
 * Caches reads by (repo, sha, path): a commit never changes, so neither do its files.
 * Bounded (least recently used out) so a long-running process does not grow forever;
 * concurrent reads of the same key share one request; failures are not cached.
 */
export class CachingSpecSource implements SpecSource {
  private readonly cache = new Map<string, Promise<SpecFile[]>>();

  constructor(
    private readonly inner: SpecSource,
    private readonly maxEntries = 256,
  ) {}

  read(repo: string, sha: string, path: string, provider: ScmProvider = 'github'): Promise<SpecFile[]> {
    // The provider is part of the key: `acme/app` on GitLab is not `acme/app` on GitHub.
    const key = `${provider}:${repo}@${sha}:${path}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const p = this.inner.read(repo, sha, path, provider);
    this.cache.set(key, p);
    p.catch(() => this.cache.delete(key));
    while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    return p;
  }
}

/** Files held in memory, by repo and commit (tests, demos, the all-in-one without an SCM). */
export class InMemorySpecSource implements SpecSource {
  private readonly commits = new Map<string, SpecFile[]>();
  reads = 0;

  put(repo: string, sha: string, files: SpecFile[]): this {
    this.commits.set(`${repo}@${sha}`, files);
    return this;
  }

  async read(repo: string, sha: string, path: string): Promise<SpecFile[]> {
    this.reads++;
    const files = this.commits.get(`${repo}@${sha}`);
    if (!files) throw new SpecSourceError(`commit ${sha} of ${repo} is unknown`);
    const prefix = path.replace(/\/+$/, '') + '/';
    const inFolder = files.filter((f) => f.path.startsWith(prefix));
    if (inFolder.length === 0) throw new SpecSourceError(`${path} does not exist in ${repo} at ${sha}`);
    return inFolder;
  }
}

/** The settings that give kube-applier a provider's reader, for the error that says they are missing. */
const PROVIDER_SETTINGS: Record<ScmProvider, string> = {
  github: 'set GITHUB_TOKEN or a GitHub App',
  gitlab: 'set GITLAB_TOKEN, and GITLAB_API_URL for a self-managed GitLab',
  bitbucket: 'set BITBUCKET_TOKEN',
};

/** No SCM configured: every deploy with specs fails with a clear, terminal reason. */
export class UnconfiguredSpecSource implements SpecSource {
  async read(repo: string, _sha?: string, _path?: string, provider: ScmProvider = 'github'): Promise<SpecFile[]> {
    throw new SpecSourceError(`no ${provider} SCM client is configured to read ${repo} (${PROVIDER_SETTINGS[provider]})`);
  }
}

/**
 * Reads each config repository through its provider's source (docs/architecture.md §2): GitHub's,
 * GitLab's, Bitbucket Cloud's. A provider without one fails the deploy, naming the settings.
 */
export class ProviderSpecSource implements SpecSource {
  private readonly unconfigured = new UnconfiguredSpecSource();

  constructor(private readonly sources: Partial<Record<ScmProvider, SpecSource>>) {}

  read(repo: string, sha: string, path: string, provider: ScmProvider = 'github'): Promise<SpecFile[]> {
    return (this.sources[provider] ?? this.unconfigured).read(repo, sha, path, provider);
  }
}
