import type { SluiceEvent, SluiceEventOf } from '@sluice/contracts';
import { ScmNotFoundError } from '@sluice/scm';
import type { EntityManager } from 'typeorm';
import type { Catalogue, ConfigScan } from './catalogue';
import type { ConfigReader } from './config-reader';

export const SCM_EVENT_TYPES = [
  'scm.push.received',
  'scm.build.started',
  'scm.build.completed',
  'scm.ref.deleted',
] as const;

/** A push to the default branch (not its deletion) is when configs are read. */
export function isDefaultBranchPush(event: SluiceEventOf<'scm.push.received'>): boolean {
  const d = event.data;
  return d.refType === 'branch' && !d.deleted && d.name === d.repo.defaultBranch;
}

/**
 * Applies one `sluice.scm.v1` event to the catalogue: `prepare` does the SCM reads
 * (outside any transaction), `apply` the writes and resulting events inside the
 * consumer's inbox transaction.
 */
export class ApplyScmEvent {
  constructor(
    private readonly catalogue: Catalogue,
    private readonly configs: ConfigReader,
  ) {}

  async prepare(event: SluiceEvent): Promise<ConfigScan | null> {
    if (event.type !== 'scm.push.received' || !isDefaultBranchPush(event)) return null;
    try {
      return await this.configs.readAt(event.data.repo.fullName, event.data.after, event.data.repo.defaultBranch);
    } catch (error) {
      // The commit or repository is gone (force-pushed away, deleted): a later push rescans.
      if (error instanceof ScmNotFoundError) return null;
      throw error;
    }
  }

  async apply(event: SluiceEvent, m: EntityManager, scan: ConfigScan | null): Promise<void> {
    const meta = { correlationId: event.correlationId, causationId: event.id };
    switch (event.type) {
      case 'scm.push.received': {
        const d = event.data;
        await this.catalogue.lockRepo(m, d.repo.fullName);
        const events = await this.catalogue.upsertRepo(m, d.repo);
        if (d.refType === 'branch') {
          if (d.deleted) {
            events.push(...(await this.catalogue.deleteBranch(m, d.repo.fullName, d.name)));
          } else {
            const commits = d.headCommit && !d.commits.some((c) => c.sha === d.headCommit!.sha) ? [...d.commits, d.headCommit] : d.commits;
            await this.catalogue.recordCommits(m, d.repo.fullName, commits);
            events.push(...(await this.catalogue.updateBranch(m, d.repo, d.name, d.after, d.headCommit)));
            if (scan) events.push(...(await this.catalogue.applyConfigScan(m, d.repo, scan)).events);
          }
        } else if (d.headCommit) {
          await this.catalogue.recordCommits(m, d.repo.fullName, [d.headCommit]);
        }
        await this.catalogue.append(m, d.repo.fullName, events, meta);
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
          })),
        );
        await this.catalogue.append(m, d.repo.fullName, events, meta);
        return;
      }
      case 'scm.ref.deleted': {
        // A branch deletion also arrives as a push with `deleted`; this one is idempotent with it.
        const d = event.data;
        if (d.refType !== 'branch') return;
        await this.catalogue.lockRepo(m, d.repo.fullName);
        const events = await this.catalogue.upsertRepo(m, d.repo);
        events.push(...(await this.catalogue.deleteBranch(m, d.repo.fullName, d.ref)));
        await this.catalogue.append(m, d.repo.fullName, events, meta);
        return;
      }
      default:
        return;
    }
  }
}
