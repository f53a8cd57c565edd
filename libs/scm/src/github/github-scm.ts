import { ScmAuthError, ScmNotFoundError, ScmRequestError } from '../errors';
import type {
  HookRef,
  ReadTreeOptions,
  ScmBranch,
  ScmBranchesAnswer,
  ScmCheckRun,
  ScmCombinedStatus,
  ScmCommit,
  ScmComparison,
  ScmComparisonStatus,
  ScmFile,
  ScmHookDeliveries,
  ScmHookDelivery,
  ScmPullRequest,
  ScmReader,
  ScmRepository,
  ScmStatusState,
} from '../port';
import { createGitHubOctokit, GitHubClients, type GitHubClientOptions, type GitHubOctokit } from './github-client';
import { RateLimitGate } from '../http/rate-limit-gate';

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
const BLOB_CONCURRENCY = 4;

interface RepoPayload {
  id: number;
  full_name: string;
  default_branch?: string;
  private: boolean;
  archived?: boolean;
}

function splitName(fullName: string): { owner: string; repo: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(fullName);
  if (!match) throw new ScmRequestError(400, `not an owner/name repository: ${fullName}`, false);
  return { owner: match[1], repo: match[2] };
}

function toRepository(r: RepoPayload): ScmRepository {
  return {
    fullName: r.full_name,
    id: r.id,
    defaultBranch: r.default_branch ?? 'main',
    private: r.private,
    archived: r.archived ?? false,
  };
}

/** Octokit's RequestError → our typed errors; anything without a status is transient (network). */
export function toScmError(error: unknown, what: string): Error {
  const status = (error as { status?: unknown }).status;
  if (typeof status !== 'number') {
    return new ScmRequestError(0, `${what}: ${(error as Error)?.message ?? String(error)}`, true);
  }
  if (status === 404) return new ScmNotFoundError(what);
  if (status === 401) return new ScmAuthError(status, `${what}: bad credentials`);
  if (status === 403) return new ScmAuthError(status, `${what}: forbidden`);
  return new ScmRequestError(status, `${what}: GitHub answered ${status}`, status >= 500 || status === 429);
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toScmError(error, what);
  }
}

/**
 * GitHub behind the SCM ports. Token credentials use one set of clients; App credentials
 * use one set per installation (the installation of a repository is learned while listing
 * installation repositories), see GitHubClients. All clients of one `GitHubScm` share one
 * rate-limit gate.
 */
export class GitHubScm implements ScmReader, ScmHookDeliveries {
  private readonly gate: RateLimitGate;
  private readonly tokenClients: GitHubClients | null;
  private readonly appClient: GitHubOctokit | null;
  private readonly installationClients = new Map<number, GitHubClients>();
  private readonly installationOfRepo = new Map<string, number>();

  constructor(private readonly options: GitHubClientOptions) {
    this.gate = options.gate ?? new RateLimitGate();
    const shared = { ...options, gate: this.gate };
    this.tokenClients = options.credentials.kind === 'token' ? new GitHubClients(shared) : null;
    this.appClient = options.credentials.kind === 'app' ? createGitHubOctokit(shared) : null;
  }

  /** The shared gate (tests and metrics read how long calls waited). */
  get rateLimitGate(): RateLimitGate {
    return this.gate;
  }

  async getRepo(fullName: string): Promise<ScmRepository> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    const res = await call(`repository ${fullName}`, () => client.rest.repos.get({ owner, repo }));
    return toRepository(res.data as RepoPayload);
  }

  async listInstallationRepos(): Promise<ScmRepository[]> {
    if (this.tokenClients) {
      const client = this.tokenClients.next();
      try {
        const repos = await client.paginate(client.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
        return (repos as unknown as RepoPayload[]).map(toRepository);
      } catch (error) {
        // Not an installation token (a personal or OAuth token): the repositories it can see.
        if ((error as { status?: number }).status !== 403) throw toScmError(error, 'installation repositories');
        const repos = await call('user repositories', () => client.paginate(client.rest.repos.listForAuthenticatedUser, { per_page: 100 }));
        return (repos as unknown as RepoPayload[]).map(toRepository);
      }
    }
    const app = this.appClient!;
    const installations = await call('app installations', () => app.paginate(app.rest.apps.listInstallations, { per_page: 100 }));
    const all: ScmRepository[] = [];
    for (const installation of installations) {
      const client = this.installationClient(installation.id);
      const repos = await call(`repositories of installation ${installation.id}`, () =>
        client.paginate(client.rest.apps.listReposAccessibleToInstallation, { per_page: 100 }),
      );
      for (const r of repos as unknown as RepoPayload[]) {
        this.installationOfRepo.set(r.full_name.toLowerCase(), installation.id);
        all.push(toRepository(r));
      }
    }
    return all;
  }

  async listBranches(fullName: string): Promise<ScmBranch[]> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    const branches = await call(`branches of ${fullName}`, () => client.paginate(client.rest.repos.listBranches, { owner, repo, per_page: 100 }));
    return branches.map((b) => ({ name: b.name, sha: b.commit.sha }));
  }

  async listBranchesIfChanged(fullName: string, etag: string | null): Promise<ScmBranchesAnswer> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    try {
      const first = await client.rest.repos.listBranches({ owner, repo, per_page: 100, headers: etag ? { 'if-none-match': etag } : {} });
      // More than one page: every page is read and no ETag kept (it would speak for the first page only).
      const branches = first.headers.link?.includes('rel="next"')
        ? await call(`branches of ${fullName}`, () => client.paginate(client.rest.repos.listBranches, { owner, repo, per_page: 100 }))
        : first.data;
      return { changed: true, branches: branches.map((b) => ({ name: b.name, sha: b.commit.sha })), etag: first.headers.link?.includes('rel="next"') ? null : (first.headers.etag ?? null) };
    } catch (error) {
      if ((error as { status?: unknown }).status === 304) return { changed: false };
      throw toScmError(error, `branches of ${fullName}`);
    }
  }

  async getBranch(fullName: string, branch: string): Promise<ScmBranch | null> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    try {
      const res = await call(`branch ${branch} of ${fullName}`, () => client.rest.repos.getBranch({ owner, repo, branch }));
      return { name: res.data.name, sha: res.data.commit.sha };
    } catch (error) {
      if (error instanceof ScmNotFoundError) return null;
      throw error;
    }
  }

  async getPullRequest(fullName: string, number: number): Promise<ScmPullRequest | null> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    try {
      const { data } = await call(`pull request #${number} of ${fullName}`, () => client.rest.pulls.get({ owner, repo, pull_number: number }));
      return { number: data.number, state: data.state === 'open' ? 'open' : 'closed', headRef: data.head.ref, headSha: data.head.sha, headRepo: data.head.repo?.full_name ?? null };
    } catch (error) {
      if (error instanceof ScmNotFoundError) return null;
      throw error;
    }
  }

  async getCommit(fullName: string, ref: string): Promise<ScmCommit> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    const res = await call(`commit ${ref} of ${fullName}`, () => client.rest.repos.getCommit({ owner, repo, ref, per_page: 1 }));
    const c = res.data;
    return {
      sha: c.sha,
      message: c.commit.message,
      authorName: c.commit.author?.name ?? null,
      authorEmail: c.commit.author?.email ?? null,
      timestamp: c.commit.author?.date ?? null,
    };
  }

  async getCombinedStatus(fullName: string, ref: string): Promise<ScmCombinedStatus> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    const res = await call(`combined status of ${ref} in ${fullName}`, () =>
      client.rest.repos.getCombinedStatusForRef({ owner, repo, ref, per_page: 100 }),
    );
    return {
      sha: res.data.sha,
      state: res.data.state as ScmStatusState,
      statuses: res.data.statuses.map((s) => ({
        context: s.context,
        state: s.state as ScmStatusState,
        targetUrl: s.target_url ?? null,
      })),
    };
  }

  async listCheckRunsForRef(fullName: string, ref: string): Promise<ScmCheckRun[]> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    const runs = await call(`check runs of ${ref} in ${fullName}`, () =>
      client.paginate(client.rest.checks.listForRef, { owner, repo, ref, per_page: 100, filter: 'latest' }),
    );
    return (runs as Array<{ name: string; head_sha: string; status: string; conclusion: string | null; html_url: string | null }>).map((r) => ({
      name: r.name,
      headSha: r.head_sha,
      status: r.status,
      conclusion: r.conclusion ?? null,
      htmlUrl: r.html_url ?? null,
    }));
  }

  async readTree(fullName: string, sha: string, path: string, options: ReadTreeOptions = {}): Promise<ScmFile[]> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    const segments = path.split('/').filter((s) => s.length > 0);
    // Walk down to the folder one level at a time: a recursive tree of the whole
    // repository may be huge (and truncated); the folder's own tree is not.
    let treeSha = sha;
    for (const segment of segments) {
      const tree = await this.tree(client, owner, repo, treeSha, false);
      const entry = tree.tree.find((e) => e.path === segment && e.type === 'tree');
      if (!entry?.sha) return [];
      treeSha = entry.sha;
    }
    const prefix = segments.length > 0 ? `${segments.join('/')}/` : '';
    const entries = await this.blobsBelow(client, owner, repo, treeSha, '');
    const include = options.include ?? (() => true);
    const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const files = entries.map((e) => ({ path: `${prefix}${e.path}`, sha: e.sha, size: e.size }));
    const out: ScmFile[] = new Array(files.length);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        const f = files[i];
        const read = include(f.path) && f.size <= maxBytes;
        out[i] = { ...f, content: read ? await this.blob(client, owner, repo, f.sha) : null };
      }
    };
    await Promise.all(Array.from({ length: Math.min(BLOB_CONCURRENCY, files.length) }, worker));
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  async readFile(fullName: string, ref: string, path: string): Promise<string | null> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    try {
      const res = await client.rest.repos.getContent({ owner, repo, path, ref });
      const data = res.data as { type?: string; content?: string; encoding?: string; sha?: string };
      if (Array.isArray(res.data) || data.type !== 'file') return null;
      if (data.encoding === 'base64' && typeof data.content === 'string') return Buffer.from(data.content, 'base64').toString('utf8');
      // Over 1 MB the contents API omits the content: read the blob.
      return data.sha ? this.blob(client, owner, repo, data.sha) : null;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return null;
      throw toScmError(error, `file ${path} at ${ref} in ${fullName}`);
    }
  }

  async compareCommits(fullName: string, base: string, head: string): Promise<ScmComparison> {
    const { owner, repo } = splitName(fullName);
    const client = await this.clientFor(fullName);
    // One commit per page: only the status and counts are used, not the commit list.
    const res = await call(`comparison ${base}...${head} in ${fullName}`, () =>
      client.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${base}...${head}`, per_page: 1 }),
    );
    return { status: res.data.status as ScmComparisonStatus, aheadBy: res.data.ahead_by, behindBy: res.data.behind_by };
  }

  async listHookDeliveries(hook: HookRef, since: string | null): Promise<ScmHookDelivery[]> {
    const sinceMs = since ? Date.parse(since) : 0;
    const out: ScmHookDelivery[] = [];
    const client = hook.kind === 'repo' ? await this.clientFor(hook.repo) : this.appClientOrThrow();
    const iterator =
      hook.kind === 'repo'
        ? client.paginate.iterator(client.rest.repos.listWebhookDeliveries, { ...splitName(hook.repo), hook_id: hook.hookId, per_page: 100 })
        : client.paginate.iterator(client.rest.apps.listWebhookDeliveries, { per_page: 100 });
    try {
      for await (const page of iterator) {
        let older = false;
        for (const d of page.data as Array<Record<string, unknown>>) {
          const deliveredAt = String(d.delivered_at);
          if (Date.parse(deliveredAt) < sinceMs) {
            older = true;
            break;
          }
          out.push({
            id: Number(d.id),
            guid: String(d.guid),
            deliveredAt,
            redelivery: Boolean(d.redelivery),
            event: String(d.event),
            action: (d.action as string | null) ?? null,
            statusCode: Number(d.status_code),
            status: String(d.status),
          });
        }
        if (older) break;
      }
    } catch (error) {
      throw toScmError(error, 'webhook deliveries');
    }
    return out;
  }

  async redeliver(hook: HookRef, deliveryId: number): Promise<void> {
    if (hook.kind === 'repo') {
      const client = await this.clientFor(hook.repo);
      await call(`redelivery ${deliveryId}`, () =>
        client.rest.repos.redeliverWebhookDelivery({ ...splitName(hook.repo), hook_id: hook.hookId, delivery_id: deliveryId }),
      );
    } else {
      const client = this.appClientOrThrow();
      await call(`redelivery ${deliveryId}`, () => client.rest.apps.redeliverWebhookDelivery({ delivery_id: deliveryId }));
    }
  }

  // ---------------------------------------------------------------------------------

  private appClientOrThrow(): GitHubOctokit {
    if (!this.appClient) throw new ScmAuthError(401, 'the GitHub App hook needs GitHub App credentials');
    return this.appClient;
  }

  private installationClient(installationId: number): GitHubOctokit {
    let clients = this.installationClients.get(installationId);
    if (!clients) {
      clients = new GitHubClients({ ...this.options, gate: this.gate }, installationId);
      this.installationClients.set(installationId, clients);
    }
    return clients.next();
  }

  /**
   * A client of these credentials for a repository (for GitHubWrites, which shares this
   * object's clients and gate): App credentials act as `installationId` when given, else as
   * the installation found for the repository.
   */
  clientForRepo(fullName: string, installationId?: number): Promise<GitHubOctokit> {
    if (installationId !== undefined && !this.tokenClients) this.installationOfRepo.set(fullName.toLowerCase(), installationId);
    return this.clientFor(fullName);
  }

  private async clientFor(fullName: string): Promise<GitHubOctokit> {
    if (this.tokenClients) return this.tokenClients.next();
    let installationId = this.installationOfRepo.get(fullName.toLowerCase());
    if (installationId === undefined) {
      await this.listInstallationRepos();
      installationId = this.installationOfRepo.get(fullName.toLowerCase());
    }
    if (installationId === undefined) throw new ScmNotFoundError(`an installation of the GitHub App with access to ${fullName}`);
    return this.installationClient(installationId);
  }

  private async tree(client: GitHubOctokit, owner: string, repo: string, sha: string, recursive: boolean) {
    const res = await call(`tree ${sha} of ${owner}/${repo}`, () =>
      client.rest.git.getTree({ owner, repo, tree_sha: sha, ...(recursive ? { recursive: '1' } : {}) }),
    );
    return res.data;
  }

  /** Every blob below a tree, paths relative to it; falls back to walking when GitHub truncates. */
  private async blobsBelow(
    client: GitHubOctokit,
    owner: string,
    repo: string,
    treeSha: string,
    prefix: string,
  ): Promise<Array<{ path: string; sha: string; size: number }>> {
    const tree = await this.tree(client, owner, repo, treeSha, true);
    if (!tree.truncated) {
      return tree.tree
        .filter((e) => e.type === 'blob' && e.path && e.sha)
        .map((e) => ({ path: `${prefix}${e.path}`, sha: e.sha!, size: e.size ?? 0 }));
    }
    const flat = await this.tree(client, owner, repo, treeSha, false);
    const out: Array<{ path: string; sha: string; size: number }> = [];
    for (const e of flat.tree) {
      if (!e.path || !e.sha) continue;
      if (e.type === 'blob') out.push({ path: `${prefix}${e.path}`, sha: e.sha, size: e.size ?? 0 });
      else if (e.type === 'tree') out.push(...(await this.blobsBelow(client, owner, repo, e.sha, `${prefix}${e.path}/`)));
    }
    return out;
  }

  private async blob(client: GitHubOctokit, owner: string, repo: string, sha: string): Promise<string> {
    const res = await call(`blob ${sha} of ${owner}/${repo}`, () => client.rest.git.getBlob({ owner, repo, file_sha: sha }));
    return res.data.encoding === 'base64' ? Buffer.from(res.data.content, 'base64').toString('utf8') : res.data.content;
  }
}
