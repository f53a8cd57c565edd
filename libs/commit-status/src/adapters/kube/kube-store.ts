import { KubeNotFoundError, mergePatchOrCreate, patchStatus, watchResources, type KubeClient, type KubeObject, type ResourceWatcher } from '@sluice/kube';
import type { Logger } from '@sluice/platform';
import { GitRepoUnusableError } from '../../domain/errors';
import { sameRepo, type CommitStatusSpec, type PreviousCommitSpec, type ProviderKind, type RepoIdentity, type SyncStatus } from '../../domain/model';
import { gitRepoNameFor } from '../../domain/naming';
import { apiOriginPolicy, assertTrustedApi, credentialsFromSecret, type ProviderSettings } from '../../application/credentials';
import type { ApiOriginPolicy } from '../../domain/api-origins';
import type { CommitStatusKey, CommitStatusQuery, CommitStatusRecord, CommitStatusStore, OwnedStatusInput, ResolvedRepo } from '../../application/ports';

export const API_VERSION = 'sluice.dev/v1alpha1';
export const FIELD_MANAGER = 'sluice-commit-status';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const CONFIG_LABEL = 'sluice.dev/config';

export interface CommitStatusObject extends KubeObject {
  spec: Omit<CommitStatusSpec, 'description' | 'url' | 'previous'> & {
    description?: string;
    url?: string;
    previous?: Omit<PreviousCommitSpec, 'description' | 'url'> & { description?: string; url?: string };
  };
  status?: Partial<SyncStatus>;
}

export interface GitRepoObject extends KubeObject {
  spec: { provider: ProviderKind; owner: string; name: string; apiUrl?: string; secretRef: { name: string; key?: string } };
}

export interface KubeStoreOptions {
  client: KubeClient;
  providers: ProviderSettings;
  /** Where Sluice's own CommitStatuses (and the GitRepos it creates for them) live. */
  namespace: string;
  /** Watch only this namespace; all namespaces when absent. */
  watchNamespace?: string;
  /** Watch only CommitStatuses and GitRepos with these labels (sharding; tests). */
  labelSelector?: string;
  /** Labels put on the CommitStatuses and GitRepos Sluice creates (to match `labelSelector`). */
  ownedLabels?: Record<string, string>;
  /** The Secret a GitRepo created by Sluice references (key `token`, or appId/privateKey). */
  githubSecretName: string;
  /** The Secrets of Sluice's own GitRepos on GitLab and Bitbucket (default `sluice-gitlab`, `sluice-bitbucket`). */
  gitlabSecretName?: string;
  bitbucketSecretName?: string;
  /** Every CommitStatus is reconciled this often (drift detection). Default 10 min. */
  resyncIntervalMs?: number;
  /** A Secret read is used this long before it is read again. Default 30 s. */
  secretTtlMs?: number;
  logger: Logger;
}

const STATUS_KEYS: ReadonlyArray<keyof SyncStatus> = [
  'updatedAt',
  'observedGeneration',
  'isSynced',
  'syncFailure',
  'repo',
  'scm',
  'sha',
  'name',
  'description',
  'phase',
  'url',
  'provider',
];

type SecretObject = KubeObject & { data?: Record<string, string> };

/**
 * CommitStatus and GitRepo custom resources: watched (level-triggered: every add, every spec
 * change, every GitRepo change, and a periodic resync), status written through the status
 * subresource, credentials read from the GitRepo's Secret. Reads come from the watch caches
 * unless this process's own write is not in them yet (then from the API server); a Secret read
 * is kept `secretTtlMs` (no cluster-wide Secret watch: that would need list/watch on Secrets).
 */
export class KubeCommitStatusStore implements CommitStatusStore {
  readonly kind = 'kubernetes' as const;
  /** An API server call: never inside a database transaction (see DeployStatusProjector). */
  readonly transactionalOwnedWrites = false;
  private statuses: ResourceWatcher<CommitStatusObject> | null = null;
  private repos: ResourceWatcher<GitRepoObject> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loops: Promise<void>[] = [];
  private readonly secrets = new Map<string, { secret: SecretObject; at: number }>();
  private readonly apiOrigins: ApiOriginPolicy;

  constructor(private readonly opts: KubeStoreOptions) {
    this.apiOrigins = apiOriginPolicy(opts.providers);
  }

  async get(key: CommitStatusKey): Promise<CommitStatusRecord | null> {
    const obj =
      this.statuses?.fresh(`${key.namespace}/${key.name}`) ??
      (await this.opts.client.find<CommitStatusObject>({ apiVersion: API_VERSION, kind: 'CommitStatus', ...key }));
    return obj ? toRecord(obj) : null;
  }

  async writeStatus(key: CommitStatusKey, status: SyncStatus): Promise<void> {
    // A merge patch keeps keys it is not given: absent fields are sent as null to remove them.
    const patch: Record<string, unknown> = {};
    for (const k of STATUS_KEYS) patch[k] = status[k] ?? null;
    patch.provider = status.provider
      ? { github: status.provider.github ?? null, gitlab: status.provider.gitlab ?? null, bitbucket: status.provider.bitbucket ?? null }
      : null;
    try {
      const written = await patchStatus(this.opts.client, { apiVersion: API_VERSION, kind: 'CommitStatus', ...key }, patch, { fieldManager: FIELD_MANAGER });
      this.statuses?.wrote(written);
    } catch (err) {
      if (err instanceof KubeNotFoundError) return; // deleted meanwhile
      throw err;
    }
  }

  async resolveGitRepo(namespace: string, gitRepoName: string): Promise<ResolvedRepo> {
    const repo =
      this.repos?.fresh(`${namespace}/${gitRepoName}`) ??
      (await this.opts.client.find<GitRepoObject>({ apiVersion: API_VERSION, kind: 'GitRepo', namespace, name: gitRepoName }));
    if (!repo) throw new GitRepoUnusableError(`GitRepo ${namespace}/${gitRepoName} not found`);
    return this.resolve(repo);
  }

  async credentialsFor(namespace: string, identity: RepoIdentity): Promise<ResolvedRepo | null> {
    // The watch cache holds every GitRepo of the namespace only when it watches without a selector.
    const cacheHoldsAll = this.repos?.resourceVersion !== undefined && !this.opts.labelSelector && (this.opts.watchNamespace ?? namespace) === namespace;
    const repos = cacheHoldsAll
      ? this.repos!.items().filter((r) => r.metadata.namespace === namespace)
      : (await this.opts.client.list<GitRepoObject>({ apiVersion: API_VERSION, kind: 'GitRepo', namespace })).items;
    for (const repo of repos) {
      if (!sameRepo(this.identityOf(repo), identity)) continue;
      try {
        return await this.resolve(repo);
      } catch {
        // try the next one naming the same repository
      }
    }
    return null;
  }

  async ensureOwnedGitRepo(repo: string, provider: ProviderKind = 'github'): Promise<string> {
    const gitRepo = gitRepoNameFor(provider, repo);
    await this.ensureGitRepo(this.opts.namespace, gitRepo, repo, provider);
    return gitRepo;
  }

  async upsertOwned(input: OwnedStatusInput): Promise<CommitStatusKey> {
    const namespace = this.opts.namespace;
    const gitRepo = await this.ensureOwnedGitRepo(input.repo, input.provider);
    const name = `sluice-${input.config}`;
    const p = input.previous;
    // Null removes a url the previous phase had, and a previous commit (a merge patch keeps keys it is not given).
    const spec = {
      gitRepoRef: { name: gitRepo },
      sha: input.sha,
      name: input.fields.name,
      description: input.fields.description,
      phase: input.fields.phase,
      url: input.fields.url ?? null,
      previous: p
        ? { gitRepoRef: { name: gitRepoNameFor(p.provider ?? 'github', p.repo) }, sha: p.sha, phase: p.fields.phase, description: p.fields.description, url: p.fields.url ?? null }
        : null,
    };
    // Only Sluice writes its own CommitStatuses: a merge patch, several times cheaper for the API server than an apply.
    const written = await mergePatchOrCreate(
      this.opts.client,
      {
        apiVersion: API_VERSION,
        kind: 'CommitStatus',
        metadata: { name, namespace, labels: { ...this.opts.ownedLabels, [MANAGED_BY_LABEL]: 'sluice', [CONFIG_LABEL]: input.config } },
        spec,
      },
      { fieldManager: FIELD_MANAGER },
    );
    this.statuses?.wrote(written);
    return { namespace, name };
  }

  async query(q: CommitStatusQuery): Promise<CommitStatusRecord[]> {
    const statuses = this.statuses?.items() ?? (await this.opts.client.list<CommitStatusObject>({ apiVersion: API_VERSION, kind: 'CommitStatus', namespace: this.opts.watchNamespace })).items;
    const repos = this.repos?.items() ?? (await this.opts.client.list<GitRepoObject>({ apiVersion: API_VERSION, kind: 'GitRepo', namespace: this.opts.watchNamespace })).items;
    const repoNames = new Map(repos.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, `${r.spec.owner}/${r.spec.name}`]));
    return statuses
      .filter((o) => {
        const bySpec = repoNames.get(`${o.metadata.namespace}/${o.spec.gitRepoRef.name}`) === q.repo && (!q.sha || o.spec.sha === q.sha);
        const byStatus = o.status?.repo === q.repo && (!q.sha || o.status?.sha === q.sha);
        return bySpec || byStatus;
      })
      .map(toRecord)
      .sort((a, b) => `${a.key.namespace}/${a.key.name}`.localeCompare(`${b.key.namespace}/${b.key.name}`));
  }

  async start(onChange: (key: CommitStatusKey) => void): Promise<void> {
    const log = this.opts.logger;
    const watchLogger = {
      debug: (o: object, m: string) => log.debug(o, m),
      info: (o: object, m: string) => log.info(o, m),
      warn: (o: object, m: string) => log.warn(o, m),
      error: (o: object, m: string) => log.error(o, m),
    };
    this.statuses = watchResources<CommitStatusObject>(this.opts.client, { apiVersion: API_VERSION, kind: 'CommitStatus', namespace: this.opts.watchNamespace, labelSelector: this.opts.labelSelector, logger: watchLogger });
    this.repos = watchResources<GitRepoObject>(this.opts.client, { apiVersion: API_VERSION, kind: 'GitRepo', namespace: this.opts.watchNamespace, labelSelector: this.opts.labelSelector, logger: watchLogger });
    const keyOf = (o: KubeObject) => ({ namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' });
    // Our own status writes come back as MODIFIED: only a new generation (a spec change) is
    // work; failures follow the work queue's backoff rather than re-triggering themselves.
    const generations = new Map<string, number | undefined>();
    this.loops.push(
      this.statuses.run((ev) => {
        if (ev.type === 'SYNCED') return;
        const id = `${ev.object.metadata.namespace}/${ev.object.metadata.name}`;
        if (ev.type === 'DELETED') {
          generations.delete(id);
          return;
        }
        if (ev.type === 'MODIFIED' && generations.get(id) === ev.object.metadata.generation) return;
        generations.set(id, ev.object.metadata.generation);
        onChange(keyOf(ev.object));
      }),
      this.repos.run((ev) => {
        if (ev.type !== 'MODIFIED' && ev.type !== 'ADDED') return;
        for (const s of this.statuses?.items() ?? []) {
          if (s.metadata.namespace === ev.object.metadata.namespace && s.spec.gitRepoRef.name === ev.object.metadata.name) onChange(keyOf(s));
        }
      }),
    );
    await Promise.all([this.statuses.waitForSync(), this.repos.waitForSync()]);
    this.timer = setInterval(() => {
      for (const s of this.statuses?.items() ?? []) onChange(keyOf(s));
    }, this.opts.resyncIntervalMs ?? 600_000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.statuses?.stop();
    this.repos?.stop();
    await Promise.allSettled(this.loops);
    this.loops = [];
    // Stopped (a replica that no longer leads): reads go to the API server, not to a cache that stopped following it.
    this.statuses = null;
    this.repos = null;
  }

  /** The Secret Sluice's own GitRepos of a provider reference. */
  private secretNameOf(provider: ProviderKind): string {
    if (provider === 'gitlab') return this.opts.gitlabSecretName ?? 'sluice-gitlab';
    if (provider === 'bitbucket') return this.opts.bitbucketSecretName ?? 'sluice-bitbucket';
    return this.opts.githubSecretName;
  }

  private identityOf(repo: GitRepoObject): RepoIdentity {
    return {
      provider: repo.spec.provider,
      apiUrl: (repo.spec.apiUrl ?? this.opts.providers[repo.spec.provider].apiUrl).replace(/\/+$/, ''),
      fullName: `${repo.spec.owner}/${repo.spec.name}`,
    };
  }

  private async resolve(repo: GitRepoObject): Promise<ResolvedRepo> {
    const namespace = repo.metadata.namespace ?? '';
    const identity = this.identityOf(repo);
    // Before the Secret is even read: its token must never reach an untrusted host.
    assertTrustedApi(this.apiOrigins, identity, `GitRepo ${namespace}/${repo.metadata.name}`);
    const ref = repo.spec.secretRef;
    let secret: SecretObject | undefined;
    try {
      secret = await this.readSecret(namespace, ref.name);
    } catch (err) {
      throw new GitRepoUnusableError(`GitRepo ${namespace}/${repo.metadata.name}: cannot read Secret ${ref.name}: ${(err as Error).message}`);
    }
    if (!secret) throw new GitRepoUnusableError(`GitRepo ${namespace}/${repo.metadata.name}: Secret ${ref.name} not found`);
    const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    const credentials = credentialsFromSecret(repo.spec.provider, data, ref.key ?? 'token');
    if (typeof credentials === 'string') throw new GitRepoUnusableError(`GitRepo ${namespace}/${repo.metadata.name}: Secret ${ref.name} ${credentials}`);
    return { identity, credentials };
  }

  private async readSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    const key = `${namespace}/${name}`;
    const kept = this.secrets.get(key);
    if (kept && Date.now() - kept.at < (this.opts.secretTtlMs ?? 30_000)) return kept.secret;
    const secret = await this.opts.client.find<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name });
    if (secret) this.secrets.set(key, { secret, at: Date.now() });
    else this.secrets.delete(key);
    return secret;
  }

  private async ensureGitRepo(namespace: string, name: string, fullName: string, provider: ProviderKind): Promise<void> {
    const ref = { apiVersion: API_VERSION, kind: 'GitRepo', namespace, name };
    if (this.repos?.fresh(`${namespace}/${name}`) || (await this.opts.client.find(ref))) return;
    const [owner, repo] = [fullName.slice(0, fullName.lastIndexOf('/')), fullName.slice(fullName.lastIndexOf('/') + 1)];
    try {
      await this.opts.client.create(
        {
          apiVersion: API_VERSION,
          kind: 'GitRepo',
          metadata: { name, namespace, labels: { ...this.opts.ownedLabels, [MANAGED_BY_LABEL]: 'sluice' } },
          spec: { provider, owner, name: repo, secretRef: { name: this.secretNameOf(provider) } },
        },
        { fieldManager: FIELD_MANAGER },
      );
    } catch (err) {
      if ((err as { reason?: string }).reason !== 'AlreadyExists') throw err;
    }
  }
}

function toRecord(o: CommitStatusObject): CommitStatusRecord {
  const s = o.status;
  const { previous, ...spec } = o.spec;
  const status: SyncStatus | null =
    s && s.updatedAt
      ? ({
          ...Object.fromEntries(Object.entries(s).filter(([, v]) => v !== null && v !== undefined)),
          observedGeneration: s.observedGeneration ?? 0,
          isSynced: s.isSynced ?? false,
          syncFailure: s.syncFailure ?? null,
          provider: s.provider ? Object.fromEntries(Object.entries(s.provider).filter(([, v]) => v !== null && v !== undefined)) : undefined,
        } as SyncStatus)
      : null;
  return {
    key: { namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' },
    generation: o.metadata.generation ?? 1,
    spec: {
      ...spec,
      description: spec.description ?? '',
      url: spec.url ?? null,
      ...(previous ? { previous: { ...previous, description: previous.description ?? '', url: previous.url ?? null } } : {}),
    },
    status,
    ownedBySluice: o.metadata.labels?.[MANAGED_BY_LABEL] === 'sluice',
  };
}
