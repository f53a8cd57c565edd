import type { BuildConclusion, BuildRun, CommitSummary, DeployConfigRoot, NewEvent, RepoRef } from '@sluice/contracts';
import { buildKey, newEvent, repoStream } from '@sluice/contracts';
import { holdViewWriters, type EventStore } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { EntityManager } from 'typeorm';
import type { BranchHead, BuildFact, Catalogue, ConfigScan } from '../../application/catalogue';
import { orderBuildObservation, type BuildObservation, type BuildSource } from '../../domain/build-order';
import { decideConfigs, type ConfigDecisions } from '../../domain/config-diff';
import type { ConfigFieldError, ParsedConfig } from '../../domain/deploy-config';
import { CATALOGUE_WRITERS_LOCK, projectCatalogue, type CatalogueEvent } from './catalogue-projection';
import { REPO_SYNC_SCHEMA } from './migrations';

/** A build as the catalogue holds it. */
interface StoredBuild {
  readonly name: string;
  readonly branch: string | null;
  readonly status: string;
  readonly conclusion: BuildConclusion | null;
  readonly url: string | null;
  readonly observation: BuildObservation;
}

interface BuildRow {
  sha: string;
  build_key: string;
  build_name: string;
  branch: string | null;
  status: string;
  conclusion: BuildConclusion | null;
  url: string | null;
  source: BuildSource | null;
  run_id: string | number | null;
  attempt: number | null;
  progress: BuildRun['progress'];
  started_at: Date | string | null;
  source_updated_at: Date | string | null;
}

const instant = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

function storedBuild(r: BuildRow): StoredBuild {
  return {
    name: r.build_name,
    branch: r.branch,
    status: r.status,
    conclusion: r.conclusion,
    url: r.url,
    observation: {
      source: r.source,
      id: r.run_id === null ? null : Number(r.run_id),
      attempt: r.attempt,
      progress: r.progress,
      startedAt: instant(r.started_at),
      updatedAt: instant(r.source_updated_at),
    },
  };
}

const time = (v: string | null) => (v === null ? null : Date.parse(v));
const sameObservation = (a: BuildObservation, b: BuildObservation) =>
  a.source === b.source && a.id === b.id && a.attempt === b.attempt && a.progress === b.progress &&
  time(a.startedAt) === time(b.startedAt) && time(a.updatedAt) === time(b.updatedAt);

/** The build's row would not change. */
const sameStoredBuild = (a: StoredBuild, b: StoredBuild) =>
  a.name === b.name && a.branch === b.branch && a.status === b.status && a.conclusion === b.conclusion && a.url === b.url && sameObservation(a.observation, b.observation);

/**
 * The catalogue on PostgreSQL (`repo_sync.repos`, `branches`, `commits`, `builds`, `configs`, …): the writes, shared by the webhook consumer and global sync so both emit
 * the same events. Each method compares with what is stored and returns the events of
 * what changed — nothing when nothing changed (idempotent) — after writing their rows with
 * `projectCatalogue`, the projection a rebuild replays the log with: the tables hold exactly
 * what the events say. Callers run them in one transaction after `beginWrite` and `lockRepo`,
 * then `append`.
 */
export class PgCatalogue implements Catalogue {
  private readonly log = createLogger('repo-sync.builds');

  constructor(private readonly store: EventStore) {}

  /** First in a transaction that writes the catalogue: a rebuild's swap waits for it (and it for the swap). */
  async beginWrite(m: EntityManager): Promise<void> {
    await holdViewWriters(m, CATALOGUE_WRITERS_LOCK);
  }

  /** The events, stamped with one time, with their rows written into the live catalogue. */
  private async emit(m: EntityManager, events: NewEvent[]): Promise<NewEvent[]> {
    if (events.length === 0) return events;
    const occurredAt = new Date().toISOString();
    const stamped = events.map((e) => ({ ...e, occurredAt }));
    await projectCatalogue(m, REPO_SYNC_SCHEMA, stamped as CatalogueEvent[]);
    return stamped;
  }

  /** Serialises writers of one repository (webhook consumer and global sync) until commit. */
  async lockRepo(m: EntityManager, fullName: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('repo-sync:' || $1))`, [fullName]);
  }

  async upsertRepo(m: EntityManager, repo: RepoRef): Promise<NewEvent[]> {
    // The provider's id is the identity: the same id under another name is that repository renamed.
    const renamed = await this.followRename(m, repo, null);
    const [before]: Array<{ github_id: string | null; default_branch: string; private: boolean }> = await m.query(
      `SELECT github_id, default_branch, private FROM repo_sync.repos WHERE full_name = $1`,
      [repo.fullName],
    );
    const same = before && before.default_branch === repo.defaultBranch && before.private === repo.private &&
      (before.github_id === null ? null : Number(before.github_id)) === repo.id;
    if (same) return renamed;
    return [...renamed, ...(await this.emit(m, [newEvent('repo.upserted', { repo })]))];
  }

  async renameRepo(m: EntityManager, repo: RepoRef, previousFullName: string): Promise<NewEvent[]> {
    const renamed = await this.followRename(m, repo, previousFullName);
    return [...renamed, ...(await this.upsertRepo(m, repo))];
  }

  /**
   * Moves the repository `(provider, id)` — or, when no row has that id yet, the one named
   * `previousFullName` — to `repo.fullName`: every row keyed by its name follows (the foreign
   * keys cascade; configs, errors and scans are moved here), and the old name is kept in
   * `repo_names` so configs that still name it point here. Nothing when it already has that name.
   */
  private async followRename(m: EntityManager, repo: RepoRef, previousFullName: string | null): Promise<NewEvent[]> {
    if (repo.id === null) return [];
    const [row]: Array<{ full_name: string }> = await m.query(
      `SELECT full_name FROM repo_sync.repos WHERE provider = $1 AND github_id = $2
       UNION ALL SELECT full_name FROM repo_sync.repos WHERE full_name = $3 AND github_id IS NULL AND provider = $1`,
      [repo.provider, repo.id, previousFullName],
    );
    const from = row?.full_name ?? previousFullName;
    if (from === null || from === repo.fullName) return [];
    if (row) {
      // A row still under the new name is another, older repository of that name (deleted since): it gives way.
      const taken: unknown[] = await m.query(`SELECT 1 FROM repo_sync.repos WHERE full_name = $1`, [repo.fullName]);
      if (taken.length > 0) this.log.warn({ repo: repo.fullName, previous: from }, 'a repository row under the new name was replaced by the renamed repository');
    }
    this.log.info({ provider: repo.provider, id: repo.id, from, to: repo.fullName }, 'repository renamed: the catalogue follows it');
    return this.emit(m, [newEvent('repo.renamed', { provider: repo.provider, id: repo.id, from, to: repo.fullName })]);
  }

  async currentRef(m: EntityManager, repo: RepoRef): Promise<RepoRef> {
    if (repo.id === null) return repo;
    const [row]: Array<{ full_name: string }> = await m.query(
      `SELECT r.full_name FROM repo_sync.repo_names n JOIN repo_sync.repos r ON r.provider = n.provider AND r.github_id = n.github_id
        WHERE n.provider = $1 AND n.full_name = $2 AND n.github_id = $3`,
      [repo.provider, repo.fullName, repo.id],
    );
    return row ? { ...repo, fullName: row.full_name } : repo;
  }

  /** The current name of each repository in `names` a rename left behind (docs/architecture.md §2); others are absent. */
  async currentNames(m: EntityManager, provider: string, names: readonly string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map();
    const rows: Array<{ alias: string; full_name: string }> = await m.query(
      `SELECT n.full_name AS alias, r.full_name FROM repo_sync.repo_names n
         JOIN repo_sync.repos r ON r.provider = n.provider AND r.github_id = n.github_id
        WHERE n.provider = $1 AND n.full_name = ANY($2)`,
      [provider, names],
    );
    return new Map(rows.map((r) => [r.alias, r.full_name]));
  }

  async defaultBranch(m: EntityManager, fullName: string): Promise<string | null> {
    const [row]: Array<{ default_branch: string }> = await m.query(`SELECT default_branch FROM repo_sync.repos WHERE full_name = $1`, [fullName]);
    return row?.default_branch ?? null;
  }

  async branchHeads(m: EntityManager, fullName: string): Promise<Map<string, string>> {
    const rows: Array<{ name: string; head_sha: string }> = await m.query(
      `SELECT name, head_sha FROM repo_sync.branches WHERE repo = $1`,
      [fullName],
    );
    return new Map(rows.map((r) => [r.name, r.head_sha]));
  }

  /** The stored head of one branch; null when the branch is unknown. */
  async branchHead(m: EntityManager, fullName: string, branch: string): Promise<string | null> {
    const [row]: Array<{ head_sha: string }> = await m.query(`SELECT head_sha FROM repo_sync.branches WHERE repo = $1 AND name = $2`, [
      fullName,
      branch,
    ]);
    return row?.head_sha ?? null;
  }

  async updateBranch(m: EntityManager, repo: RepoRef, head: BranchHead): Promise<NewEvent[]> {
    return this.updateBranches(m, repo, [head]);
  }

  /**
   * `updateBranch` for several branches of one repository in two statements (one read,
   * one upsert); the events are those the calls one by one would give, in the same order.
   */
  async updateBranches(m: EntityManager, repo: RepoRef, heads: readonly BranchHead[]): Promise<NewEvent[]> {
    if (heads.length === 0) return [];
    const rows: Array<{ name: string; head_sha: string }> = await m.query(
      `SELECT name, head_sha FROM repo_sync.branches WHERE repo = $1 AND name = ANY($2::text[])`,
      [repo.fullName, heads.map((h) => h.branch)],
    );
    const current = new Map(rows.map((r) => [r.name, r.head_sha]));
    const events: NewEvent[] = [];
    for (const { branch, headSha, headCommit, forced = false, expectedSha } of heads) {
      const previousSha = current.get(branch) ?? null;
      if (previousSha === headSha) continue;
      if (expectedSha !== undefined && previousSha !== expectedSha) continue;
      current.set(branch, headSha);
      events.push(
        newEvent('repo.branch.updated', { repo: repo.fullName, defaultBranch: repo.defaultBranch, branch, headSha, previousSha, headCommit, forced }),
      );
    }
    return this.emit(m, events);
  }

  /** Deletes a branch; with `expectedSha`, only while its stored head is still that one. */
  async deleteBranch(m: EntityManager, fullName: string, branch: string, expectedSha?: string): Promise<NewEvent[]> {
    const head = await this.branchHead(m, fullName, branch);
    if (head === null || (expectedSha !== undefined && head !== expectedSha)) return [];
    return this.emit(m, [newEvent('repo.branch.deleted', { repo: fullName, branch })]);
  }

  /** Stores commits not seen before: `repo.commits.recorded` with them (nothing when none is new). */
  async recordCommits(m: EntityManager, fullName: string, commits: readonly CommitSummary[]): Promise<NewEvent[]> {
    if (commits.length === 0) return [];
    const known: Array<{ sha: string }> = await m.query(`SELECT sha FROM repo_sync.commits WHERE repo = $1 AND sha = ANY($2::text[])`, [
      fullName,
      commits.map((c) => c.sha),
    ]);
    const seen = new Set(known.map((r) => r.sha));
    const fresh = commits.filter((c) => !seen.has(c.sha) && (seen.add(c.sha), true));
    return fresh.length === 0 ? [] : this.emit(m, [newEvent('repo.commits.recorded', { repo: fullName, commits: fresh })]);
  }

  /**
   * Records a build report. A build is one per (sha, `buildKey` of its name), whatever
   * source reports it; its state only moves forward (`orderBuildObservation`): an older
   * report GitHub delivered late is recorded as `repo.build.stale-ignored` and changes
   * nothing, so autodeploy and commit-status never act on it. A later attempt or run is a
   * new state, even from completed back to running.
   */
  async recordBuild(m: EntityManager, fullName: string, fact: BuildFact): Promise<NewEvent[]> {
    return this.recordBuilds(m, fullName, [fact]);
  }

  /**
   * `recordBuild` for several builds of one repository in two statements (one read, one
   * upsert); the events are those the calls one by one would give, in the same order.
   */
  async recordBuilds(m: EntityManager, fullName: string, facts: readonly BuildFact[]): Promise<NewEvent[]> {
    if (facts.length === 0) return [];
    const key = (sha: string, name: string) => `${sha}\n${buildKey(name)}`;
    const rows: BuildRow[] = await m.query(
      `SELECT b.sha, b.build_key, b.build_name, b.branch, b.status, b.conclusion, b.url, b.source, b.run_id, b.attempt, b.progress,
              b.started_at, b.source_updated_at
         FROM repo_sync.builds b JOIN unnest($2::text[], $3::text[]) AS k(sha, build_key) USING (sha, build_key)
        WHERE b.repo = $1`,
      [fullName, facts.map((f) => f.sha), facts.map((f) => buildKey(f.buildName))],
    );
    const current = new Map<string, StoredBuild>(rows.map((r) => [`${r.sha}\n${r.build_key}`, storedBuild(r)]));
    const events: NewEvent[] = [];
    for (const fact of facts) {
      const k = key(fact.sha, fact.buildName);
      const before = current.get(k) ?? null;
      const reported: BuildObservation = { ...fact.run, source: fact.source };
      const order = orderBuildObservation(before?.observation ?? null, reported);
      if (order.kind === 'stale') {
        const ignored = {
          repo: fullName,
          sha: fact.sha,
          buildName: before!.name,
          observedName: fact.buildName,
          source: fact.source,
          observed: { ...fact.run, conclusion: fact.conclusion },
          known: { ...before!.observation, conclusion: before!.conclusion },
          reason: order.why,
          deliveryId: fact.deliveryId,
        };
        this.log.info(ignored, 'build report older than the recorded state: ignored');
        events.push(newEvent('repo.build.stale-ignored', ignored));
        continue;
      }
      // A report with nothing to order it by (global sync's reads) keeps what orders the recorded state.
      const observation = order.why === 'unordered' && before && reported.id === null ? before.observation : reported;
      // A check suite is named for its app; a check run, workflow or status context by what people wrote: that name stays.
      const name = before && fact.source === 'check_suite' && before.observation.source !== 'check_suite' ? before.name : fact.buildName;
      const next: StoredBuild = {
        name,
        branch: fact.branch ?? before?.branch ?? null,
        status: fact.status,
        conclusion: fact.conclusion,
        url: fact.url ?? before?.url ?? null,
        observation,
      };
      current.set(k, next);
      const row = { repo: fullName, sha: fact.sha, branch: next.branch, buildName: name, status: fact.status, conclusion: fact.conclusion, url: next.url, observation };
      if (before && sameStoredBuild(before, next)) continue;
      const same = before && before.status === next.status && before.conclusion === next.conclusion && before.url === next.url && before.branch === next.branch;
      // What consumers act on changed: recorded; else only the row (the name or what orders its reports): observed.
      events.push(same ? newEvent('repo.build.observed', row) : newEvent('repo.build.recorded', row));
    }
    return this.emit(m, events);
  }

  /** The default-branch commit whose configs were last read, to skip re-reading it. */
  /** Commits with a build still in progress: global sync reads their builds again. */
  async openBuildShas(m: EntityManager, fullName: string): Promise<string[]> {
    const rows: Array<{ sha: string }> = await m.query(`SELECT DISTINCT sha FROM repo_sync.builds WHERE repo = $1 AND status = 'in_progress'`, [fullName]);
    return rows.map((r) => r.sha);
  }

  async lastConfigScan(m: EntityManager, fullName: string): Promise<string | null> {
    const [row]: Array<{ sha: string }> = await m.query(`SELECT sha FROM repo_sync.config_scans WHERE repo = $1`, [fullName]);
    return row?.sha ?? null;
  }

  async applyConfigScan(m: EntityManager, repo: RepoRef, scan: ConfigScan): Promise<{ events: NewEvent[]; decisions: ConfigDecisions }> {
    const known = await this.knownConfigs(m, repo.fullName);
    const decisions = decideConfigs(known, await this.followingRenames(m, repo.provider, scan.parsed));
    const events: NewEvent[] = [
      ...decisions.discovered.map((c) => newEvent('repo.config.discovered', { config: c, configSha: scan.sha })),
      ...decisions.changed.map((c) => newEvent('repo.config.changed', { config: c, configSha: scan.sha })),
      ...decisions.removed.map((c) => newEvent('repo.config.removed', { name: c.name, configRepo: repo.fullName, configSha: scan.sha })),
      ...decisions.invalid.map(({ path, errors }) => newEvent('repo.config.invalid', { configRepo: repo.fullName, path, configSha: scan.sha, errors: [...errors] })),
      // The recorded errors become exactly the current ones.
      newEvent('repo.configs.scanned', {
        repo: repo.fullName,
        configSha: scan.sha,
        errors: [...decisions.allErrors].map(([path, errors]) => ({ path, errors: errors.map((e) => ({ path: e.path, message: e.message })) })),
      }),
    ];
    return { events: await this.emit(m, events), decisions };
  }

  /** A config that names a repository by a name it had before a rename points at the repository under its current name. */
  private async followingRenames(m: EntityManager, provider: string, parsed: readonly ParsedConfig[]): Promise<ParsedConfig[]> {
    const named = parsed.flatMap((p) => (p.ok && p.config.artifact ? [p.config.artifact.repo] : []));
    const current = await this.currentNames(m, provider, named);
    return parsed.map((p) => {
      const to = p.ok && p.config.artifact ? current.get(p.config.artifact.repo) : undefined;
      return p.ok && p.config.artifact && to ? { ...p, config: { ...p.config, artifact: { ...p.config.artifact, repo: to } } } : p;
    });
  }

  async append(m: EntityManager, repo: RepoRef | string, events: readonly NewEvent[], meta: { correlationId: string; causationId: string | null }): Promise<void> {
    if (events.length === 0) return;
    await this.store.append(
      repoStream(typeof repo === 'string' ? await this.identity(m, repo) : repo),
      'any',
      events.map((e) => ({ ...e, correlationId: meta.correlationId, causationId: meta.causationId })),
      { manager: m },
    );
  }

  /** The identity of a catalogued repository (its stream); a GitHub repository of unknown id when not catalogued. */
  private async identity(m: EntityManager, fullName: string): Promise<{ provider: string; id: number | null; fullName: string }> {
    const [row]: Array<{ provider: string; github_id: string | null }> = await m.query(
      `SELECT provider, github_id FROM repo_sync.repos WHERE full_name = $1`,
      [fullName],
    );
    return { provider: row?.provider ?? 'github', id: row?.github_id == null ? null : Number(row.github_id), fullName };
  }

  private async knownConfigs(m: EntityManager, fullName: string) {
    const mine: Array<{ name: string; root: DeployConfigRoot }> = await m.query(
      `SELECT name, root FROM repo_sync.configs WHERE config_repo = $1`,
      [fullName],
    );
    const errors: Array<{ path: string; errors: ConfigFieldError[] }> = await m.query(
      `SELECT path, errors FROM repo_sync.config_errors WHERE config_repo = $1`,
      [fullName],
    );
    const elsewhere: Array<{ name: string; config_repo: string }> = await m.query(
      `SELECT name, config_repo FROM repo_sync.configs WHERE config_repo <> $1`,
      [fullName],
    );
    return {
      configs: new Map(mine.map((r) => [r.name, r.root])),
      errors: new Map(errors.map((r) => [r.path, r.errors])),
      namesElsewhere: new Map(elsewhere.map((r) => [r.name, r.config_repo])),
    };
  }
}

