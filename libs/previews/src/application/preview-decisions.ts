import { imageTag, previewStream, type NewEvent, type SluiceEvent, type SluiceEventOf } from '@sluice/contracts';
import { handleCommand, type EventStore, type StoredEvent, type Transaction } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import { v7 as uuidv7 } from 'uuid';
import { decidePreviews, emptyPreviews, evolvePreviews, type PreviewCommand, type PreviewConfig, type PreviewEvent, type PreviewState } from '../domain/previews';
import type { PreviewFacts, PullRequestHead } from './ports';
import { projectPreviewFacts } from './preview-facts-projection';

/** The events the previews consume (`sluice.scm.v1` and `sluice.repo.v1`). */
export const PREVIEW_INPUT_TYPES = ['scm.pull-request.changed', 'repo.build.recorded', 'repo.config.discovered', 'repo.config.changed', 'repo.config.removed'] as const;

/** Who a preview is deployed for: the pull request's pushes, on its author's behalf (shown on the PR). */
export const PREVIEWS_ACTOR = 'previews';

function foldPreviews(stored: readonly StoredEvent[]): PreviewState {
  return stored
    .filter((e) => e.type === 'preview.deployed' || e.type === 'preview.released')
    .reduce((state, e) => evolvePreviews(state, { type: e.type, data: e.data } as PreviewEvent), emptyPreviews);
}

/**
 * The previews' decisions (docs/architecture.md §1 "Previews"): a pull request on a config's
 * artifact repository with a green build of its head gets a preview; a new push redeploys it into
 * the same slot; closing it releases the slot at once; the sweeper releases what expired. Each
 * decision is made on the config's stream `preview-<config>` (read, decide, append at the version
 * read), in the caller's transaction when it has one, so a redelivered input decides nothing twice.
 */
export class PreviewDecisions {
  private readonly log = createLogger('previews');

  constructor(
    private readonly store: EventStore,
    private readonly facts: PreviewFacts,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async handle(event: SluiceEvent, m: Transaction): Promise<void> {
    await projectPreviewFacts(event, m, this.facts);
    switch (event.type) {
      case 'scm.pull-request.changed':
        return this.onPullRequest(event, m);
      case 'repo.build.recorded':
        return this.onBuild(event, m);
      case 'repo.config.discovered':
      case 'repo.config.changed':
        return this.onConfig(event.data.config.name, m);
      case 'repo.config.removed':
        return this.onConfigGone(event.data.name, m);
      default:
        return;
    }
  }

  /** The sweeper's pass: previews past their expiry are released, config by config. */
  async expire(): Promise<number> {
    let released = 0;
    const names = await this.store.dataSource.transaction((m) => this.facts.configNames(m));
    for (const name of names) released += (await this.decide(name, { type: 'ExpirePreviews', now: this.clock() })).length;
    return released;
  }

  private async onPullRequest(event: SluiceEventOf<'scm.pull-request.changed'>, m: Transaction): Promise<void> {
    const { repo, number, headSha, headRef, action, merged } = event.data;
    const open = action !== 'closed';
    for (const config of await this.facts.configsForRepo(m, repo.fullName)) {
      if (open) await this.consider(config, { repo: repo.fullName, number, headSha, headRef }, m);
      else await this.decide(config.name, { type: 'ReleasePreview', repo: repo.fullName, pr: number, reason: merged ? 'merged' : 'closed' }, m);
    }
  }

  private async onBuild(event: SluiceEventOf<'repo.build.recorded'>, m: Transaction): Promise<void> {
    const { repo, sha, status, conclusion } = event.data;
    if (status !== 'completed' || conclusion !== 'success') return;
    const pulls = await this.facts.openPullRequests(m, repo, sha);
    if (pulls.length === 0) return;
    for (const config of await this.facts.configsForRepo(m, repo)) for (const pr of pulls) await this.consider(config, pr, m);
  }

  /** A config declaring previews (again, or at a new commit): its open pull requests with green heads get theirs; one that no longer declares them, none. */
  private async onConfig(name: string, m: Transaction): Promise<void> {
    const config = await this.facts.config(m, name);
    if (!config) return this.onConfigGone(name, m);
    for (const pr of await this.facts.openPullRequests(m, config.artifactRepo)) await this.consider(config, pr, m);
  }

  private async onConfigGone(name: string, m: Transaction): Promise<void> {
    await this.decide(name, { type: 'ReleaseAll', reason: 'config-removed' }, m);
  }

  /** Deploys the pull request's head when a green build of it is known; otherwise its build will. */
  private async consider(config: PreviewConfig, pr: PullRequestHead, m: Transaction): Promise<void> {
    const build = config.artifactBuild;
    if (!(await this.facts.isGreen(m, pr.repo, pr.headSha, build))) {
      this.log.debug({ config: config.name, pr: pr.number, headSha: pr.headSha }, 'no green build of the head yet');
      return;
    }
    await this.decide(
      config.name,
      {
        type: 'DeployPreview',
        config,
        pr: pr.number,
        headSha: pr.headSha,
        headRef: pr.headRef,
        imageTag: imageTag(pr.headRef, pr.headSha),
        previewId: uuidv7(),
        now: this.clock(),
        requestedBy: PREVIEWS_ACTOR,
      },
      m,
    );
  }

  private async decide(name: string, command: PreviewCommand, manager?: Transaction): Promise<PreviewEvent[]> {
    const { decided } = await handleCommand(
      this.store,
      previewStream(name),
      foldPreviews,
      (state) => {
        const decided = decidePreviews(command, state);
        return { events: decided.map((e): NewEvent => ({ type: e.type, version: 1, data: e.data })), decided };
      },
      { manager },
    );
    for (const e of decided) this.log.info({ config: name, type: e.type, pr: e.data.pr, slot: e.data.slot, ...(e.type === 'preview.released' ? { reason: e.data.reason } : {}) }, 'recorded');
    return decided;
  }
}
