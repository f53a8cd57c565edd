import { randomUUID } from 'node:crypto';
import { buildKey, scmProvider, unorderedRun, type BuildConclusion, type NewEvent, type RepoRef, type ScmProvider } from '@sluice/contracts';
import type { ScmBranch, ScmCommit, ScmReader, ScmRepository } from '@sluice/scm';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Transaction, UnitOfWork } from '@sluice/event-store';
import type { BuildFact, Catalogue, ConfigScan } from './catalogue';
import type { ConfigReader } from './config-reader';
import { DEFAULT_REPO_SYNC_CONCURRENCY } from '../repo-sync.config';

export interface SyncProgress {
  readonly syncId: string;
  readonly state: 'running' | 'completed' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly repos: { readonly done: number; readonly total: number | null };
  readonly branches: number;
  readonly commits: number;
  readonly configs: number;
  readonly errors: ReadonlyArray<{ readonly repo: string | null; readonly message: string }>;
}

/** A repository a sync job reads, and whose API reads it. */
export interface SyncTarget {
  readonly provider: ScmProvider;
  readonly repo: ScmRepository;
}

/** The sync jobs and their per-repository cursor (PgSyncRuns), so a restart resumes where it stopped. */
export interface SyncRuns {
  /** A new running job; false while another one runs. */
  create(id: string, requestedBy: string): Promise<boolean>;
  /** The ids of the jobs running. */
  running(): Promise<string[]>;
  progress(id: string): Promise<SyncProgress | null>;
  job(id: string): Promise<{ readonly state: string; readonly reposTotal: number | null } | null>;
  fail(id: string, message: string): Promise<void>;
  /** The repositories to sync (listed once per job), with the errors of the providers whose listing failed. */
  listRepos(id: string, targets: readonly SyncTarget[], errors?: readonly string[]): Promise<void>;
  /** Those not done yet, in name order. */
  pending(id: string): Promise<SyncTarget[]>;
  complete(id: string): Promise<void>;
  /** In the transaction that recorded the repository. */
  repoDone(manager: Transaction, id: string, provider: ScmProvider, repo: string, counts: { branches: number; commits: number; configs: number }): Promise<void>;
  repoFailed(id: string, provider: ScmProvider, repo: string, message: string): Promise<void>;
}

export interface GlobalSyncOptions {
  /** Repositories synchronised at once; default DEFAULT_REPO_SYNC_CONCURRENCY. */
  readonly concurrency?: number;
  readonly logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

const PER_REPO_CONCURRENCY = 4;

async function runPool(tasks: ReadonlyArray<() => Promise<void>>, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}
const KNOWN_CONCLUSIONS = new Set(['success', 'failure', 'cancelled', 'neutral', 'skipped', 'timed_out', 'action_required', 'stale', 'error']);

/** Check-run conclusions GitHub may add later count as failures, never as successes. */
function conclusionOf(value: string | null): BuildConclusion {
  return value && KNOWN_CONCLUSIONS.has(value) ? (value as BuildConclusion) : 'failure';
}

interface RepoSnapshot {
  readonly ref: RepoRef;
  /** Branches whose head moved (or that are new). */
  readonly branches: readonly ScmBranch[];
  readonly branchCount: number;
  /** The heads stored when the snapshot began: a head is set (or deleted) only if still this one. */
  readonly known: ReadonlyMap<string, string>;
  readonly deletedBranches: readonly string[];
  readonly commits: ReadonlyMap<string, ScmCommit>;
  readonly builds: readonly BuildFact[];
  readonly scan: ConfigScan | null;
}

/**
 * Global sync: scans every repository the credentials of each configured provider can see
 * (GitHub's App installations or token, GitLab's and Bitbucket's token: branches, head commits
 * with their builds, deploy configs of the default branch) and
 * records it through the same catalogue writes — and so the same events — as webhooks.
 * Idempotent: unchanged heads are not re-read and unchanged facts emit nothing. The job
 * and a per-repository cursor are stored, so a restart resumes where it stopped.
 */
export class GlobalSync {
  private readonly concurrency: number;
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  /**
   * The sync's database work, one statement or transaction at a time on a pool of ONE
   * connection (the all-in-one's embedded database): the pool queues in arrival order, so
   * many repositories' reads and transactions queued at once would put every request
   * behind all of them. Through this gate a request waits for one at most. Null on a real
   * pool, where the sync has connections enough beside the requests'.
   */
  private readonly db: LimitFunction | null;

  constructor(
    private readonly database: UnitOfWork,
    private readonly catalogue: Catalogue,
    private readonly runs: SyncRuns,
    private readonly configs: ConfigReader,
    private readonly scm: ScmReader,
    private readonly options: GlobalSyncOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_REPO_SYNC_CONCURRENCY);
    this.db = database.singleConnection ? pLimit(1) : null;
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    return this.db ? this.db(work) : work();
  }

  /** Starts a sync, or returns the one already running (one at a time). */
  async start(requestedBy: string): Promise<{ syncId: string; started: boolean }> {
    const id = randomUUID();
    if (!(await this.runs.create(id, requestedBy))) {
      const [running] = await this.runs.running();
      if (running) {
        this.launch(running);
        return { syncId: running, started: false };
      }
      return this.start(requestedBy);
    }
    this.launch(id);
    return { syncId: id, started: true };
  }

  progress(syncId: string): Promise<SyncProgress | null> {
    return this.runs.progress(syncId);
  }

  /** After a restart: continue every sync that was running. */
  async resumeRunning(): Promise<void> {
    for (const id of await this.runs.running()) this.launch(id);
  }

  /** Lets repositories in progress finish, starts no more; the job stays `running` to resume later. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Resolves when the sync this process runs has ended (tests, benchmarks). */
  async settled(syncId: string): Promise<void> {
    await this.running.get(syncId);
  }

  private launch(syncId: string): void {
    if (this.running.has(syncId) || this.stopping) return;
    const run = this.run(syncId)
      .catch((err: unknown) => this.options.logger?.error({ err, syncId }, 'global sync stopped by an error; it resumes on restart'))
      .finally(() => this.running.delete(syncId));
    this.running.set(syncId, run);
  }

  private async run(syncId: string): Promise<void> {
    // One replica runs a sync. The job queries through the pool: on the embedded database
    // the pool is one connection, which a lock connection held for the whole sync would take.
    await this.database.exclusive(`repo-sync:sync:${syncId}`, () => this.runLocked(syncId));
  }

  private async runLocked(syncId: string): Promise<void> {
    const log = this.options.logger;
    const job = await this.runs.job(syncId);
    if (!job || job.state !== 'running') return;
    if (job.reposTotal === null) {
      const listed = await this.listRepositories();
      if (listed.succeeded === 0) {
        await this.runs.fail(syncId, listed.errors.join('; '));
        return;
      }
      await this.runs.listRepos(syncId, listed.targets, listed.errors);
      log?.info({ syncId, repos: listed.targets.length, failedListings: listed.errors.length }, 'global sync: repositories listed');
    }
    const pending = await this.runs.pending(syncId);
    let next = 0;
    const worker = async () => {
      while (!this.stopping && next < pending.length) {
        await this.syncOne(syncId, pending[next++]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, pending.length) }, worker));
    if (this.stopping) return;
    await this.runs.complete(syncId);
    log?.info({ syncId }, 'global sync completed');
  }

  /**
   * The repositories of every provider with a reader (GitHub always), each listed by its own
   * provider. A provider whose listing fails is an error of the job, which syncs the others'.
   * The catalogue holds one repository per name: a name two providers list is synced from the
   * first of them (github, gitlab, bitbucket), the other is an error of the job.
   */
  private async listRepositories(): Promise<{ targets: SyncTarget[]; errors: string[]; succeeded: number }> {
    const readers = scmProvider.options.flatMap((provider) => {
      const scm = provider === 'github' ? this.scm : this.configs.reader(provider);
      return scm ? [{ provider, scm }] : [];
    });
    const answers = await Promise.all(
      readers.map(async ({ provider, scm }): Promise<{ provider: ScmProvider; repos: ScmRepository[] } | { provider: ScmProvider; error: string }> => {
        try {
          return { provider, repos: await scm.listInstallationRepos() };
        } catch (error) {
          this.options.logger?.warn({ provider, err: error }, 'global sync: listing a provider\'s repositories failed');
          return { provider, error: `${provider}: listing repositories failed: ${(error as Error).message}` };
        }
      }),
    );
    const targets: SyncTarget[] = [];
    const errors: string[] = [];
    const byName = new Map<string, ScmProvider>();
    for (const answer of answers) {
      if ('error' in answer) {
        errors.push(answer.error);
        continue;
      }
      for (const repo of answer.repos) {
        const first = byName.get(repo.fullName.toLowerCase());
        if (first) {
          errors.push(`${answer.provider}: ${repo.fullName} not synced: ${first} has a repository of that name (the catalogue holds one per name)`);
          continue;
        }
        byName.set(repo.fullName.toLowerCase(), answer.provider);
        targets.push({ provider: answer.provider, repo });
      }
    }
    return { targets, errors, succeeded: answers.filter((a) => !('error' in a)).length };
  }

  /**
   * One repository read and recorded now, outside any sync job (Git polling): `branches` when the
   * caller already read them, `buildsOf` commits whose builds are read again besides those of moved
   * heads and builds in progress. `provider` (default GitHub): whose API reads it.
   */
  async syncRepository(repo: ScmRepository, options: { provider?: ScmProvider; branches?: ScmBranch[] | 'unchanged'; buildsOf?: readonly string[]; correlationId: string }): Promise<void> {
    const snapshot = await this.snapshot(repo, options);
    await this.inTurn(() => this.database.transact((m) => this.record(m, snapshot, options.correlationId)));
  }

  private async syncOne(syncId: string, { provider, repo }: SyncTarget): Promise<void> {
    try {
      const snapshot = await this.snapshot(repo, { provider });
      await this.inTurn(() => this.database.transact(async (m) => {
        const counts = await this.record(m, snapshot, syncId);
        await this.runs.repoDone(m, syncId, provider, repo.fullName, counts);
      }));
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      this.options.logger?.warn({ syncId, provider, repo: repo.fullName, err: error }, 'global sync: repository failed');
      await this.inTurn(() => this.runs.repoFailed(syncId, provider, repo.fullName, message));
    }
  }

  /** Everything read from the SCM for one repository, before any transaction. */
  private async snapshot(repo: ScmRepository, given: { provider?: ScmProvider; branches?: ScmBranch[] | 'unchanged'; buildsOf?: readonly string[] } = {}): Promise<RepoSnapshot> {
    const provider = given.provider ?? 'github';
    const scm = provider === 'github' ? this.scm : this.configs.reader(provider);
    if (!scm) throw new Error(`no ${provider} credentials: ${repo.fullName} cannot be read`);
    const ref: RepoRef = { fullName: repo.fullName, id: repo.id, defaultBranch: repo.defaultBranch, private: repo.private, provider };
    const manager = this.database.reads;
    const [listed, [known, lastScan, openBuilds]] = await Promise.all([
      // 'unchanged': the provider said the branches are as recorded (a 304): they are not read again.
      given.branches === 'unchanged' ? null : (given.branches ?? scm.listBranches(repo.fullName)),
      this.inTurn(() =>
        Promise.all([
          this.catalogue.branchHeads(manager, repo.fullName),
          this.catalogue.lastConfigScan(manager, repo.fullName),
          this.catalogue.openBuildShas(manager, repo.fullName),
        ]),
      ),
    ]);
    const branches = listed ?? [...known].map(([name, sha]) => ({ name, sha }));
    const present = new Set(branches.map((b) => b.name));
    const deletedBranches = [...known.keys()].filter((name) => !present.has(name));
    const changed = branches.filter((b) => known.get(b.name) !== b.sha);
    // Builds are re-read for moved heads and for heads with builds still running.
    const open = new Set([...openBuilds, ...(given.buildsOf ?? [])]);
    const buildShas = new Map<string, string>();
    for (const b of branches) {
      if ((known.get(b.name) !== b.sha || open.has(b.sha)) && !buildShas.has(b.sha)) buildShas.set(b.sha, b.name);
    }
    // Reads of one repository run a few at a time; the rate-limit gate keeps the total in budget.
    const commits = new Map<string, ScmCommit>();
    const builds: BuildFact[] = [];
    const tasks: Array<() => Promise<void>> = [];
    for (const sha of new Set(changed.map((b) => b.sha))) {
      tasks.push(async () => void commits.set(sha, await scm.getCommit(repo.fullName, sha)));
    }
    for (const [sha, branch] of buildShas) {
      tasks.push(async () => {
        // GitHub's statuses, GitLab's pipelines, Bitbucket's build statuses: named and concluded as their webhooks' builds.
        const combined = await scm.getCombinedStatus(repo.fullName, sha);
        for (const s of combined.statuses) {
          builds.push({
            sha,
            branch,
            buildName: s.context,
            status: s.state === 'pending' ? 'in_progress' : 'completed',
            conclusion: s.state === 'pending' ? null : (s.conclusion ?? s.state),
            url: s.targetUrl,
            source: s.run?.source ?? 'status',
            run: s.run ? { id: s.run.id, attempt: s.run.attempt, progress: s.run.progress, startedAt: s.run.startedAt, updatedAt: s.run.updatedAt } : unorderedRun(s.state === 'pending' ? 'in_progress' : 'completed'),
            deliveryId: null,
          });
        }
      });
      tasks.push(async () => {
        const runs = await scm.listCheckRunsForRef(repo.fullName, sha);
        for (const r of runs) {
          const done = r.status === 'completed';
          builds.push({
            sha,
            branch,
            buildName: r.name,
            status: done ? 'completed' : 'in_progress',
            conclusion: done ? conclusionOf(r.conclusion) : null,
            url: r.htmlUrl,
            source: 'check_run',
            // The API's answer carries no times Sluice keeps: it cannot move a build back in progress (orderBuildObservation).
            run: unorderedRun(done ? 'completed' : r.status === 'in_progress' ? 'in_progress' : 'queued'),
            deliveryId: null,
          });
        }
      });
    }
    await runPool(tasks, PER_REPO_CONCURRENCY);
    // One result per build (sha, buildKey of its name) — a status context and a check run
    // may share a name; a completed one wins — in a stable order, whatever order the answers came in.
    const unique = new Map<string, BuildFact>();
    for (const b of builds) {
      const key = `${b.sha} ${buildKey(b.buildName)}`;
      const seen = unique.get(key);
      if (!seen || (seen.status !== 'completed' && b.status === 'completed')) unique.set(key, b);
    }
    const buildList = [...unique.values()].sort((a, b) => a.sha.localeCompare(b.sha) || a.buildName.localeCompare(b.buildName));
    const head = branches.find((b) => b.name === repo.defaultBranch);
    const scan = head && head.sha !== lastScan ? await this.configs.readAt(repo.fullName, head.sha, repo.defaultBranch, provider) : null;
    return { ref, branches: changed, branchCount: branches.length, known, deletedBranches, commits, builds: buildList, scan };
  }

  /** Records a snapshot; `correlationId` is the sync job's id (or the poll's). */
  private async record(m: Transaction, s: RepoSnapshot, correlationId: string) {
    const { ref } = s;
    await this.catalogue.beginWrite(m);
    await this.catalogue.lockRepo(m, ref.fullName);
    const events: NewEvent[] = await this.catalogue.upsertRepo(m, ref);
    const recorded = await this.catalogue.recordCommits(m, ref.fullName, [...s.commits.values()]);
    events.push(...recorded);
    const newCommits = recorded.reduce((n, e) => n + (e.data as { commits: unknown[] }).commits.length, 0);
    // The SCM's heads are the truth of "now" and may move a head anywhere — but only a head
    // nothing moved since the snapshot began: a push recorded meanwhile is newer than it.
    const heads = s.branches.map((b) => ({ branch: b.name, headSha: b.sha, headCommit: s.commits.get(b.sha) ?? null, expectedSha: s.known.get(b.name) ?? null }));
    events.push(...(await this.catalogue.updateBranches(m, ref, heads)));
    for (const name of s.deletedBranches) events.push(...(await this.catalogue.deleteBranch(m, ref.fullName, name, s.known.get(name))));
    events.push(...(await this.catalogue.recordBuilds(m, ref.fullName, s.builds)));
    let configs = 0;
    // Configs are read at the head the snapshot saw; a push recorded meanwhile read newer ones.
    if (s.scan && (await this.catalogue.branchHead(m, ref.fullName, ref.defaultBranch)) === s.scan.sha) {
      events.push(...(await this.catalogue.applyConfigScan(m, ref, s.scan)).events);
      configs = s.scan.parsed.length;
    }
    await this.catalogue.append(m, ref, events, { correlationId, causationId: null });
    return { branches: s.branchCount, commits: newCommits, configs };
  }
}
