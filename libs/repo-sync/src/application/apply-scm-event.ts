import type { RepoPolls } from './repo-poller';
import { newEvent, type RepoRef, type SluiceEvent, type SluiceEventOf } from '@sluice/contracts';
import { createLogger } from '@sluice/platform';
import { ScmNotFoundError } from '@sluice/scm';
import type { Transaction, UnitOfWork } from '@sluice/event-store';
import { decideBranchMove, pushedHeadOf, type BranchMove, type HeadRelation } from '../domain/branch-move';
import { BitbucketMainBranch } from './bitbucket-main-branch';
import type { Catalogue, ConfigScan } from './catalogue';
import type { ConfigReader, ScmReaderFor } from './config-reader';

export const SCM_EVENT_TYPES = [
  'scm.push.received',
  'scm.build.started',
  'scm.build.completed',
  'scm.ref.deleted',
  'scm.repository.renamed',
] as const;

/** A push to the default branch (not its deletion) is when configs are read. */
export function isDefaultBranchPush(event: SluiceEventOf<'scm.push.received'>): boolean {
  const d = event.data;
  return d.refType === 'branch' && !d.deleted && d.name === d.repo.defaultBranch;
}

/** What `prepare` read for one event: the branch move decided against a stored head, and configs read at the new head. */
export interface PreparedScmEvent {
  readonly move: { readonly known: string | null; readonly decision: BranchMove } | null;
  readonly scan: ConfigScan | null;
  /** A `delete` delivery for a branch GitHub still has (replayed or late): its known head. */
  readonly staleDelete?: string;
  /** The repository's main branch when it is not the event's (a Bitbucket event that assumed `main`: BitbucketMainBranch). */
  readonly defaultBranch?: string;
}

const NOTHING_PREPARED: PreparedScmEvent = { move: null, scan: null };

/**
 * The stored head moved between `prepare` and `apply` (global sync recorded the SCM's
 * head meanwhile): the decision was made against another head, so the consumer's retry
 * decides again.
 */
export class BranchHeadMovedError extends Error {
  constructor(repo: string, branch: string) {
    super(`the head of ${branch} in ${repo} moved while a push to it was checked; deciding again`);
    this.name = 'BranchHeadMovedError';
  }
}

/**
 * Applies one `sluice.scm.v1` event to the catalogue: `prepare` does the reads (stored
 * head, the SCM's compare API, configs) outside any transaction, `apply` the writes and
 * resulting events inside the consumer's inbox transaction.
 *
 * A branch head moves only forward (decideBranchMove): a replayed or late push is
 * recorded as `repo.branch.push-ignored` and changes neither the head nor the configs,
 * so autodeploy, which acts on `repo.branch.updated`, never sees it. When the compare
 * API fails, the error goes to the consumer's retries: nothing is guessed.
 */
export class ApplyScmEvent {
  private readonly log = createLogger('repo-sync.push');
  private readonly bitbucketMainBranch: BitbucketMainBranch;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly configs: ConfigReader,
    /** The reader of each provider's repositories (GitHub's always; others when configured). */
    private readonly scm: ScmReaderFor,
    private readonly db: UnitOfWork,
    /** Git polling: a repository whose webhooks arrive is polled less often. */
    private readonly polls?: Pick<RepoPolls, 'webhookSeen'>,
  ) {
    this.bitbucketMainBranch = new BitbucketMainBranch(scm);
  }

  async prepare(received: SluiceEvent): Promise<PreparedScmEvent> {
    const current = await this.current(received, this.db.reads);
    const defaultBranch = await this.mainBranchOf(current);
    const event = withDefaultBranch(current, defaultBranch);
    const prepared = await this.prepareCurrent(event);
    return event === current ? prepared : { ...prepared, defaultBranch };
  }

  /** A Bitbucket event may have assumed its repository's main branch: the real one, read before anything is decided with it. */
  private async mainBranchOf(event: SluiceEvent): Promise<string | undefined> {
    const repo = (event.data as { repo?: RepoRef }).repo;
    if (repo?.provider !== 'bitbucket') return undefined;
    return (await this.bitbucketMainBranch.of(repo, await this.catalogue.defaultBranch(this.db.reads, repo.fullName))).defaultBranch;
  }

  private async prepareCurrent(event: SluiceEvent): Promise<PreparedScmEvent> {
    if (event.type === 'scm.ref.deleted' && event.data.refType === 'branch') return this.prepareDelete(event.data);
    if (event.type !== 'scm.push.received' || event.data.refType !== 'branch') return NOTHING_PREPARED;
    const d = event.data;
    const known = await this.catalogue.branchHead(this.db.reads, d.repo.fullName, d.name);
    const decision = decideBranchMove(known, d) ?? decideBranchMove(known, d, await this.relation(d.repo, known!, pushedHeadOf(d)))!;
    const move = { known, decision };
    // A provider whose credentials are not configured is followed by webhook; its configs are not read.
    if (decision.kind !== 'move' || !isDefaultBranchPush(event) || !this.configs.reads(d.repo.provider)) return { move, scan: null };
    try {
      return { move, scan: await this.configs.readAt(d.repo.fullName, d.after, d.repo.defaultBranch, d.repo.provider) };
    } catch (error) {
      // The commit or repository is gone (force-pushed away, deleted): a later push rescans.
      if (error instanceof ScmNotFoundError) return { move, scan: null };
      throw error;
    }
  }

  async apply(received: SluiceEvent, m: Transaction, prepared: PreparedScmEvent): Promise<void> {
    const meta = { correlationId: received.correlationId, causationId: received.id };
    await this.catalogue.beginWrite(m);
    const event = withDefaultBranch(await this.current(received, m), prepared.defaultBranch);
    const webhookOf = (event.data as { repo?: { fullName?: string } }).repo?.fullName;
    if (webhookOf) await this.polls?.webhookSeen(m, webhookOf);
    switch (event.type) {
      case 'scm.repository.renamed': {
        const d = event.data;
        await this.catalogue.lockRepo(m, d.previousFullName);
        await this.catalogue.lockRepo(m, d.repo.fullName);
        await this.catalogue.append(m, d.repo, await this.catalogue.renameRepo(m, d.repo, d.previousFullName), meta);
        return;
      }
      case 'scm.push.received': {
        const d = event.data;
        await this.catalogue.lockRepo(m, d.repo.fullName);
        if (d.refType === 'branch') {
          const { known, decision } = prepared.move!;
          if ((await this.catalogue.branchHead(m, d.repo.fullName, d.name)) !== known) throw new BranchHeadMovedError(d.repo.fullName, d.name);
          if (decision.kind === 'ignore') {
            // An older payload also carries older repository fields: the repository is left as it is too.
            const ignored = {
              repo: d.repo.fullName,
              branch: d.name,
              knownSha: known!,
              pushedSha: pushedHeadOf(d),
              before: d.before,
              deleted: d.deleted,
              forced: d.forced,
              relation: decision.relation,
              deliveryId: d.deliveryId,
            };
            this.log.warn(ignored, 'push ignored: it would not move the branch head forward');
            await this.catalogue.append(m, d.repo, [newEvent('repo.branch.push-ignored', ignored)], meta);
            return;
          }
          const events = await this.catalogue.upsertRepo(m, d.repo);
          if (decision.kind === 'delete') {
            events.push(...(await this.catalogue.deleteBranch(m, d.repo.fullName, d.name)));
          } else {
            const commits = d.headCommit && !d.commits.some((c) => c.sha === d.headCommit!.sha) ? [...d.commits, d.headCommit] : d.commits;
            events.push(...(await this.catalogue.recordCommits(m, d.repo.fullName, commits)));
            const head = { branch: d.name, headSha: d.after, headCommit: d.headCommit, forced: decision.forced };
            events.push(...(await this.catalogue.updateBranch(m, d.repo, head)));
            if (decision.forced) {
              this.log.info({ repo: d.repo.fullName, branch: d.name, previousSha: known, headSha: d.after, deliveryId: d.deliveryId }, 'forced push moved the branch head');
            }
            if (prepared.scan) events.push(...(await this.catalogue.applyConfigScan(m, d.repo, prepared.scan)).events);
          }
          await this.catalogue.append(m, d.repo, events, meta);
          return;
        }
        const events = await this.catalogue.upsertRepo(m, d.repo);
        if (d.headCommit) events.push(...(await this.catalogue.recordCommits(m, d.repo.fullName, [d.headCommit])));
        // A pushed tag is what a config tracking `track.tags` builds (docs/architecture.md §1 "Builds").
        if (!d.deleted) {
          const previousSha = d.created || /^0+$/.test(d.before) ? null : d.before;
          // An annotated tag's `after` is the tag object; the commit it names is the head commit.
          events.push(newEvent('repo.tag.pushed', { repo: d.repo.fullName, tag: d.name, sha: d.headCommit?.sha ?? d.after, previousSha, pusher: d.pusher }));
        }
        await this.catalogue.append(m, d.repo, events, meta);
        return;
      }
      case 'scm.build.started':
      case 'scm.build.completed': {
        const d = event.data;
        await this.catalogue.lockRepo(m, d.repo.fullName);
        const events = await this.catalogue.upsertRepo(m, d.repo);
        events.push(
          ...(await this.catalogue.recordBuild(m, d.repo.fullName, {
            sha: d.sha,
            branch: d.branch,
            buildName: d.buildName,
            status: event.type === 'scm.build.completed' ? 'completed' : 'in_progress',
            conclusion: event.type === 'scm.build.completed' ? event.data.conclusion : null,
            url: event.type === 'scm.build.completed' ? event.data.url : null,
            source: d.source,
            run: d.run,
            deliveryId: d.deliveryId,
          })),
        );
        await this.catalogue.append(m, d.repo, events, meta);
        return;
      }
      case 'scm.ref.deleted': {
        // A branch deletion also arrives as a push with `deleted`; this one is idempotent with it.
        const d = event.data;
        if (d.refType !== 'branch') return;
        await this.catalogue.lockRepo(m, d.repo.fullName);
        if (prepared.staleDelete !== undefined) {
          if ((await this.catalogue.branchHead(m, d.repo.fullName, d.ref)) !== prepared.staleDelete) throw new BranchHeadMovedError(d.repo.fullName, d.ref);
          const known = prepared.staleDelete;
          const ignored = { repo: d.repo.fullName, branch: d.ref, knownSha: known, pushedSha: known, before: known, deleted: true, forced: false, relation: 'still-exists' as const, deliveryId: d.deliveryId };
          this.log.warn(ignored, 'branch deletion ignored: GitHub still has the branch (a replayed or late delete delivery)');
          await this.catalogue.append(m, d.repo, [newEvent('repo.branch.push-ignored', ignored)], meta);
          return;
        }
        const events = await this.catalogue.upsertRepo(m, d.repo);
        events.push(...(await this.catalogue.deleteBranch(m, d.repo.fullName, d.ref)));
        await this.catalogue.append(m, d.repo, events, meta);
        return;
      }
      default:
        return;
    }
  }

  /** An event that names its repository by a name it had before a rename is about the repository under its current name. */
  private async current(event: SluiceEvent, m: Transaction): Promise<SluiceEvent> {
    if (event.type === 'scm.repository.renamed' || !event.type.startsWith('scm.')) return event;
    const d = event.data as { repo: RepoRef };
    const repo = await this.catalogue.currentRef(m, d.repo);
    return repo === d.repo ? event : ({ ...event, data: { ...d, repo } } as SluiceEvent);
  }

  /**
   * A `delete` delivery carries no SHA, so it cannot be judged by ancestry: the branch is
   * deleted only when GitHub no longer has it. A replayed delete of a branch that exists
   * (or was created again) is recorded and ignored.
   */
  private async prepareDelete(d: { repo: RepoRef; ref: string }): Promise<PreparedScmEvent> {
    const known = await this.catalogue.branchHead(this.db.reads, d.repo.fullName, d.ref);
    const scm = this.scm(d.repo.provider);
    // Without a reader of the provider the delivery is taken at its word.
    if (known === null || !scm) return NOTHING_PREPARED;
    return (await scm.getBranch(d.repo.fullName, d.ref)) === null ? NOTHING_PREPARED : { ...NOTHING_PREPARED, staleDelete: known };
  }

  /** How `pushed` relates to `known`, from the SCM's compare API; GitHub answers 404 for histories with no common commit. */
  private async relation(repo: RepoRef, known: string, pushed: string): Promise<HeadRelation> {
    const scm = this.scm(repo.provider);
    // Without a reader of the provider, a push that does not follow the known head is not taken (never backwards).
    if (!scm) return 'unrelated';
    try {
      return (await scm.compareCommits(repo.fullName, known, pushed)).status;
    } catch (error) {
      if (error instanceof ScmNotFoundError) return 'unrelated';
      throw error;
    }
  }
}

/** The event with its repository's main branch set to `branch` (unchanged when it already says so or there is none). */
function withDefaultBranch(event: SluiceEvent, branch: string | undefined): SluiceEvent {
  const d = event.data as { repo?: RepoRef };
  if (!branch || !d.repo || d.repo.defaultBranch === branch) return event;
  return { ...event, data: { ...d, repo: { ...d.repo, defaultBranch: branch } } } as SluiceEvent;
}
