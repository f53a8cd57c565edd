import type { DataSource, EntityManager } from 'typeorm';
import { GitRepoUnusableError } from '../../domain/errors';
import type { CommitStatusSpec, ProviderKind, RepoIdentity, SyncStatus } from '../../domain/model';
import { gitRepoNameFor } from '../../domain/naming';
import { apiOriginPolicy, assertTrustedApi, configuredCredentials, type ProviderSettings } from '../../application/credentials';
import type { ApiOriginPolicy } from '../../domain/api-origins';
import type { CommitStatusKey, CommitStatusQuery, CommitStatusRecord, CommitStatusStore, OwnedStatusInput, ResolvedRepo } from '../../application/ports';

export interface PgStoreOptions {
  dataSource: DataSource;
  providers: ProviderSettings;
  /** The namespace column of Sluice's own records (there is no cluster; it keeps keys uniform). */
  namespace: string;
  /** How often records whose spec is not yet synced are looked for. Default 1 s. */
  pollIntervalMs?: number;
  /** How often every record is reconciled (drift detection). Default 10 min. */
  resyncIntervalMs?: number;
}

interface Row {
  namespace: string;
  name: string;
  generation: number;
  spec: CommitStatusSpec;
  status: SyncStatus | null;
  owned_by_sluice: boolean;
}

/** CommitStatus records in PostgreSQL, for when no cluster is configured; credentials from configuration. */
export class PgCommitStatusStore implements CommitStatusStore {
  readonly transactionalOwnedWrites = true;
  readonly kind = 'postgres' as const;
  private readonly schema: string;
  private timers: NodeJS.Timeout[] = [];
  private onChange: ((key: CommitStatusKey) => void) | null = null;
  private readonly apiOrigins: ApiOriginPolicy;

  constructor(private readonly opts: PgStoreOptions) {
    this.apiOrigins = apiOriginPolicy(opts.providers);
    const schema = (opts.dataSource.options as { schema?: string }).schema ?? 'commit_status';
    this.schema = `"${schema.replace(/"/g, '')}"`;
  }

  async get(key: CommitStatusKey): Promise<CommitStatusRecord | null> {
    const rows: Row[] = await this.opts.dataSource.query(`SELECT * FROM ${this.schema}.commit_statuses WHERE namespace = $1 AND name = $2`, [key.namespace, key.name]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async writeStatus(key: CommitStatusKey, status: SyncStatus): Promise<void> {
    await this.opts.dataSource.query(`UPDATE ${this.schema}.commit_statuses SET status = $3, updated_at = now() WHERE namespace = $1 AND name = $2`, [
      key.namespace,
      key.name,
      JSON.stringify(status),
    ]);
  }

  async resolveGitRepo(namespace: string, gitRepoName: string): Promise<ResolvedRepo> {
    const rows: Array<{ provider: ProviderKind; full_name: string; api_url: string | null }> = await this.opts.dataSource.query(
      `SELECT provider, full_name, api_url FROM ${this.schema}.git_repos WHERE namespace = $1 AND name = $2`,
      [namespace, gitRepoName],
    );
    const row = rows[0];
    if (!row) throw new GitRepoUnusableError(`GitRepo ${namespace}/${gitRepoName} not found`);
    const identity: RepoIdentity = { provider: row.provider, fullName: row.full_name, apiUrl: row.api_url ?? this.opts.providers[row.provider].apiUrl };
    assertTrustedApi(this.apiOrigins, identity, `GitRepo ${namespace}/${gitRepoName}`);
    const credentials = configuredCredentials(this.opts.providers, row.provider);
    if (!credentials) throw new GitRepoUnusableError(`no ${row.provider} credentials configured (${envHint(row.provider)})`);
    return { identity, credentials };
  }

  async credentialsFor(_namespace: string, identity: RepoIdentity): Promise<ResolvedRepo | null> {
    // The identity comes from an earlier status: the allow-list may have shrunk since.
    if (this.apiOrigins.refusal(identity.apiUrl) !== null) return null;
    const credentials = configuredCredentials(this.opts.providers, identity.provider);
    return credentials ? { identity, credentials } : null;
  }

  async ensureOwnedGitRepo(repo: string, provider: ProviderKind = 'github', manager?: EntityManager): Promise<string> {
    const gitRepo = gitRepoNameFor(provider, repo);
    await (manager ?? this.opts.dataSource.manager).query(
      `INSERT INTO ${this.schema}.git_repos (namespace, name, provider, full_name) VALUES ($1, $2, $3, $4) ON CONFLICT (namespace, name) DO NOTHING`,
      [this.opts.namespace, gitRepo, provider, repo],
    );
    return gitRepo;
  }

  async upsertOwned(input: OwnedStatusInput, manager?: EntityManager): Promise<CommitStatusKey> {
    const m = manager ?? this.opts.dataSource.manager;
    const gitRepo = await this.ensureOwnedGitRepo(input.repo, input.provider, m);
    const key = { namespace: this.opts.namespace, name: `sluice-${input.config}` };
    const p = input.previous;
    const spec: CommitStatusSpec = {
      gitRepoRef: { name: gitRepo },
      sha: input.sha,
      ...input.fields,
      ...(p ? { previous: { gitRepoRef: { name: gitRepoNameFor(p.provider ?? 'github', p.repo) }, sha: p.sha, ...p.fields } } : {}),
    };
    await m.query(
      `INSERT INTO ${this.schema}.commit_statuses AS c (namespace, name, spec, owned_by_sluice) VALUES ($1, $2, $3, true)
       ON CONFLICT (namespace, name) DO UPDATE SET spec = EXCLUDED.spec, generation = c.generation + 1, updated_at = now()
       WHERE c.spec IS DISTINCT FROM EXCLUDED.spec`,
      [key.namespace, key.name, JSON.stringify(spec)],
    );
    // A hint only: the poll finds the record once this transaction has committed anyway.
    setTimeout(() => this.onChange?.(key), 20).unref?.();
    return key;
  }

  /** Adds a user-defined record (what `kubectl apply` of a CommitStatus is in the cluster mode); tests and tooling. */
  async putRecord(key: CommitStatusKey, spec: CommitStatusSpec, gitRepo?: { provider: ProviderKind; fullName: string; apiUrl?: string }): Promise<void> {
    if (gitRepo) {
      await this.opts.dataSource.query(
        `INSERT INTO ${this.schema}.git_repos (namespace, name, provider, full_name, api_url) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (namespace, name) DO UPDATE SET provider = EXCLUDED.provider, full_name = EXCLUDED.full_name, api_url = EXCLUDED.api_url`,
        [key.namespace, spec.gitRepoRef.name, gitRepo.provider, gitRepo.fullName, gitRepo.apiUrl ?? null],
      );
    }
    await this.opts.dataSource.query(
      `INSERT INTO ${this.schema}.commit_statuses AS c (namespace, name, spec) VALUES ($1, $2, $3)
       ON CONFLICT (namespace, name) DO UPDATE SET spec = EXCLUDED.spec, generation = c.generation + 1, updated_at = now()
       WHERE c.spec IS DISTINCT FROM EXCLUDED.spec`,
      [key.namespace, key.name, JSON.stringify(spec)],
    );
    this.onChange?.(key);
  }

  async query(q: CommitStatusQuery): Promise<CommitStatusRecord[]> {
    const rows: Row[] = await this.opts.dataSource.query(
      `SELECT c.* FROM ${this.schema}.commit_statuses c
         LEFT JOIN ${this.schema}.git_repos g ON g.namespace = c.namespace AND g.name = c.spec->'gitRepoRef'->>'name'
        WHERE ((g.full_name = $1 AND ($2::text IS NULL OR c.spec->>'sha' = $2))
           OR (c.status->>'repo' = $1 AND ($2::text IS NULL OR c.status->>'sha' = $2)))
        ORDER BY c.namespace, c.name`,
      [q.repo, q.sha ?? null],
    );
    return rows.map(toRecord);
  }

  async start(onChange: (key: CommitStatusKey) => void): Promise<void> {
    this.onChange = onChange;
    // Enqueue a record when its generation is new to this process (a spec change); failures
    // then follow the work queue's backoff instead of being re-added every poll. A full
    // resync now and then re-reads everything (drift detection).
    const seen = new Map<string, number>();
    const poll = async (all: boolean) => {
      try {
        const rows: Array<{ namespace: string; name: string; generation: number }> = await this.opts.dataSource.query(
          all
            ? `SELECT namespace, name, generation FROM ${this.schema}.commit_statuses`
            : `SELECT namespace, name, generation FROM ${this.schema}.commit_statuses
                WHERE status IS NULL OR (status->>'observedGeneration')::int IS DISTINCT FROM generation
                   OR (status->>'sha') IS DISTINCT FROM (spec->>'sha')`,
        );
        for (const r of rows) {
          const id = `${r.namespace}/${r.name}`;
          if (!all && seen.get(id) === r.generation) continue;
          seen.set(id, r.generation);
          onChange({ namespace: r.namespace, name: r.name });
        }
      } catch {
        // The database is away; the readiness check reports it and the next poll retries.
      }
    };
    await poll(true);
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref?.();
      this.timers.push(t);
    };
    every(this.opts.pollIntervalMs ?? 1000, () => void poll(false));
    every(this.opts.resyncIntervalMs ?? 600_000, () => void poll(true));
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.onChange = null;
  }
}

function toRecord(row: Row): CommitStatusRecord {
  return {
    key: { namespace: row.namespace, name: row.name },
    generation: row.generation,
    spec: { ...row.spec, description: row.spec.description ?? '', url: row.spec.url ?? null },
    status: row.status,
    ownedBySluice: row.owned_by_sluice,
  };
}

function envHint(provider: ProviderKind): string {
  switch (provider) {
    case 'github':
      return 'GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY';
    case 'gitlab':
      return 'GITLAB_TOKEN';
    case 'bitbucket':
      return 'BITBUCKET_TOKEN';
  }
}

