import { buildKey, parseEvent, type SluiceEvent, type SluiceEventOf } from '@sluice/contracts';
import { schemaIdentifier, type SchemaProjection } from '@sluice/event-store';
import type { EntityManager } from 'typeorm';

/**
 * The catalogue's tables: every row is written by `projectCatalogue` from repo-sync's own events,
 * live (PgCatalogue projects what it decides, in the same transaction) and in a rebuild
 * (docs/architecture.md §4 "Rebuilding views").
 */
export const CATALOGUE_TABLES = ['repos', 'branches', 'commits', 'builds', 'configs', 'config_errors', 'config_scans', 'repo_names'] as const;

/** The checkpoint a catalogue rebuild records where its swap stood. */
export const CATALOGUE_VIEWS = 'repo-sync.catalogue';

/** Held shared by every transaction that writes the catalogue; a rebuild's swap takes it exclusively. */
export const CATALOGUE_WRITERS_LOCK = 'sluice-repo-sync-catalogue-writers';

/** An event as the projection reads it: its type, data (the latest version) and time. */
export type CatalogueEvent = Pick<SluiceEvent, 'type' | 'data' | 'occurredAt'>;

type Of<K extends SluiceEvent['type']> = SluiceEventOf<K>['data'];

/**
 * Writes the catalogue rows of `events`, in order, into `schema` (the live `repo_sync` or a
 * rebuild's copy). Every value comes from the events — times from `occurredAt` — so one log gives
 * the same rows however it is batched. Runs of branch heads, commits and builds are written one
 * statement each. Events that change no row (ignored pushes and builds, tags, invalid configs,
 * whose errors `repo.configs.scanned` carries) are passed over.
 */
export async function projectCatalogue(m: EntityManager, schema: string, events: readonly CatalogueEvent[]): Promise<void> {
  const s = schemaIdentifier(schema);
  // A run of consecutive events of one batched type: its rows by key.
  const run = { type: '', rows: new Map<string, unknown[]>() };
  const flush = async () => {
    if (run.rows.size > 0) await writeRun(m, s, run.type, [...run.rows.values()]);
    run.rows.clear();
  };
  for (const e of events) {
    const row = batchedRow(e);
    if (row) {
      if (run.type !== e.type) await flush();
      run.type = e.type;
      // One row per key and statement: the last write of a key wins (a commit's first).
      if (e.type !== 'repo.commits.recorded') run.rows.delete(row.key);
      for (const r of [row, ...(row.more ?? [])]) if (!run.rows.has(r.key)) run.rows.set(r.key, r.values);
      continue;
    }
    await flush();
    await writeOne(m, s, e);
  }
  await flush();
}

/** The rebuild's projection: stored events are validated and lifted to their latest version first. */
export const projectCatalogueLog: SchemaProjection = (events, manager, schema) =>
  projectCatalogue(
    manager,
    schema,
    events.filter((e) => e.type.startsWith('repo.')).map((e) => ({ ...parseEvent(e), occurredAt: e.occurredAt })),
  );

interface BatchedRow {
  readonly key: string;
  readonly values: unknown[];
  /** Further rows of the same event (a push's commits). */
  readonly more?: ReadonlyArray<{ key: string; values: unknown[] }>;
}

function batchedRow(e: CatalogueEvent): BatchedRow | null {
  switch (e.type) {
    case 'repo.branch.updated': {
      const d = e.data as Of<'repo.branch.updated'>;
      return { key: `${d.repo}\n${d.branch}`, values: [d.repo, d.branch, d.headSha, e.occurredAt] };
    }
    case 'repo.commits.recorded': {
      const d = e.data as Of<'repo.commits.recorded'>;
      const [first, ...rest] = d.commits.map((c) => ({ key: `${d.repo}\n${c.sha}`, values: [d.repo, c.sha, c.message, c.authorName, c.authorEmail, c.timestamp, e.occurredAt] }));
      return { ...first!, more: rest };
    }
    case 'repo.build.recorded':
    case 'repo.build.observed': {
      const d = e.data as Of<'repo.build.observed'>;
      const o = d.observation ?? { source: null, id: null, attempt: null, progress: d.status, startedAt: null, updatedAt: null };
      const key = buildKey(d.buildName);
      return {
        key: `${d.repo}\n${d.sha}\n${key}`,
        values: [d.repo, d.sha, key, d.buildName, d.branch, d.status, d.conclusion, d.url, o.source, o.id, o.attempt, o.progress, o.startedAt, o.updatedAt, e.occurredAt],
      };
    }
    default:
      return null;
  }
}

/** One statement for a run of rows of one event type (`batchedRow`). */
async function writeRun(m: EntityManager, s: string, type: string, rows: unknown[][]): Promise<void> {
  const column = (i: number) => rows.map((r) => r[i] ?? null);
  switch (type) {
    case 'repo.branch.updated':
      await m.query(
        `INSERT INTO ${s}.branches (repo, name, head_sha, updated_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
         ON CONFLICT (repo, name) DO UPDATE SET head_sha = EXCLUDED.head_sha, updated_at = EXCLUDED.updated_at`,
        [0, 1, 2, 3].map(column),
      );
      return;
    case 'repo.commits.recorded':
      await m.query(
        `INSERT INTO ${s}.commits (repo, sha, message, author_name, author_email, timestamp, recorded_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
         ON CONFLICT (repo, sha) DO NOTHING`,
        [0, 1, 2, 3, 4, 5, 6].map(column),
      );
      return;
    default:
      // repo.build.recorded / repo.build.observed: the build's whole row.
      await m.query(
        `INSERT INTO ${s}.builds (repo, sha, build_key, build_name, branch, status, conclusion, url, source, run_id, attempt, progress, started_at, source_updated_at, updated_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                              $10::bigint[], $11::int[], $12::text[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[])
         ON CONFLICT (repo, sha, build_key) DO UPDATE SET build_name = EXCLUDED.build_name, branch = EXCLUDED.branch, status = EXCLUDED.status,
           conclusion = EXCLUDED.conclusion, url = EXCLUDED.url, source = EXCLUDED.source, run_id = EXCLUDED.run_id, attempt = EXCLUDED.attempt,
           progress = EXCLUDED.progress, started_at = EXCLUDED.started_at, source_updated_at = EXCLUDED.source_updated_at, updated_at = EXCLUDED.updated_at`,
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map(column),
      );
  }
}

async function writeOne(m: EntityManager, s: string, e: CatalogueEvent): Promise<void> {
  const at = e.occurredAt;
  switch (e.type) {
    case 'repo.upserted': {
      const { repo } = e.data as Of<'repo.upserted'>;
      await m.query(
        `INSERT INTO ${s}.repos (full_name, github_id, default_branch, private, provider, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (full_name) DO UPDATE SET github_id = EXCLUDED.github_id, default_branch = EXCLUDED.default_branch,
           private = EXCLUDED.private, provider = EXCLUDED.provider, updated_at = EXCLUDED.updated_at`,
        [repo.fullName, repo.id, repo.defaultBranch, repo.private, repo.provider, at],
      );
      return;
    }
    case 'repo.renamed': {
      // The rows keyed by the name follow it (branches, commits and builds by ON UPDATE CASCADE); the old name stays an alias.
      const { provider, id, from, to } = e.data as Of<'repo.renamed'>;
      await m.query(
        `INSERT INTO ${s}.repo_names (provider, full_name, github_id, renamed_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (provider, full_name) DO UPDATE SET github_id = EXCLUDED.github_id, renamed_at = EXCLUDED.renamed_at`,
        [provider, from, id, at],
      );
      await m.query(`DELETE FROM ${s}.repo_names WHERE provider = $1 AND full_name = $2`, [provider, to]);
      // The repository's row, when the catalogue has it: a row still under the new name (an older repository of that name) gives way.
      const moved = `EXISTS (SELECT 1 FROM ${s}.repos WHERE full_name = $1 AND provider = $3 AND (github_id = $4 OR github_id IS NULL))`;
      await m.query(`DELETE FROM ${s}.repos WHERE full_name = $2 AND ${moved}`, [from, to, provider, id]);
      await m.query(`UPDATE ${s}.repos SET full_name = $2, updated_at = $5 WHERE full_name = $1 AND provider = $3 AND (github_id = $4 OR github_id IS NULL)`, [
        from,
        to,
        provider,
        id,
        at,
      ]);
      await m.query(`UPDATE ${s}.config_errors SET config_repo = $2 WHERE config_repo = $1`, [from, to]);
      await m.query(`UPDATE ${s}.config_scans SET repo = $2 WHERE repo = $1`, [from, to]);
      await m.query(
        `UPDATE ${s}.configs SET
           config_repo = CASE WHEN config_repo = $1 THEN $2 ELSE config_repo END,
           root = CASE WHEN root->>'configRepo' = $1 THEN jsonb_set(root, '{configRepo}', to_jsonb($2::text)) ELSE root END
         WHERE config_repo = $1 OR root->>'configRepo' = $1`,
        [from, to],
      );
      await m.query(`UPDATE ${s}.configs SET root = jsonb_set(root, '{artifact,repo}', to_jsonb($2::text)) WHERE root->'artifact'->>'repo' = $1`, [from, to]);
      return;
    }
    case 'repo.branch.deleted': {
      const d = e.data as Of<'repo.branch.deleted'>;
      await m.query(`DELETE FROM ${s}.branches WHERE repo = $1 AND name = $2`, [d.repo, d.branch]);
      return;
    }
    case 'repo.config.discovered':
    case 'repo.config.changed': {
      const { config: c, configSha } = e.data as Of<'repo.config.discovered'>;
      await m.query(
        `INSERT INTO ${s}.configs (name, config_repo, path, root, config_sha, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET path = EXCLUDED.path, root = EXCLUDED.root, config_sha = EXCLUDED.config_sha, updated_at = EXCLUDED.updated_at
         WHERE ${s}.configs.config_repo = EXCLUDED.config_repo`,
        [c.name, c.configRepo, c.path, JSON.stringify(c), configSha, at],
      );
      return;
    }
    case 'repo.config.removed': {
      const d = e.data as Of<'repo.config.removed'>;
      await m.query(`DELETE FROM ${s}.configs WHERE name = $1 AND config_repo = $2`, [d.name, d.configRepo]);
      return;
    }
    case 'repo.configs.scanned': {
      // The recorded errors become exactly the scan's.
      const d = e.data as Of<'repo.configs.scanned'>;
      await m.query(`DELETE FROM ${s}.config_errors WHERE config_repo = $1`, [d.repo]);
      if (d.errors.length > 0) {
        await m.query(
          `INSERT INTO ${s}.config_errors (config_repo, path, config_sha, errors, updated_at)
           SELECT $1, path, $2, errors, $4 FROM jsonb_to_recordset($3::jsonb) AS x(path text, errors jsonb)`,
          [d.repo, d.configSha, JSON.stringify(d.errors), at],
        );
      }
      await m.query(
        `INSERT INTO ${s}.config_scans (repo, sha, scanned_at) VALUES ($1, $2, $3)
         ON CONFLICT (repo) DO UPDATE SET sha = EXCLUDED.sha, scanned_at = EXCLUDED.scanned_at`,
        [d.repo, d.configSha, at],
      );
      return;
    }
    default:
      return;
  }
}
