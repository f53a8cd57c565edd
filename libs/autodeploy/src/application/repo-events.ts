import type { BuildTarget, SluiceEvent, SluiceEventOf } from '@sluice/contracts';
import picomatch from 'picomatch';
import { createLogger } from '@sluice/platform';
import type { Transaction } from '@sluice/event-store';
import { v7 as uuidv7 } from 'uuid';
import type { AutodeployObstacle, ConfigCommand } from '../domain/decide';
import { shortSha } from '../domain/image-tag';
import { AUTODEPLOY_ACTOR, AutodeployCatchUp } from './catch-up';
import type { ConfigCommands } from './config-commands';
import { staleBuildsSkipped } from './metrics';
import type { RepoKnowledge } from './ports';
import { projectRepoKnowledge } from './repo-knowledge-projection';

export { REPO_EVENT_TYPES } from './repo-knowledge-projection';

export { AUTODEPLOY_ACTOR } from './catch-up';

/**
 * Keeps autodeploy's view of the repositories and applies the autodeploy rules of §1:
 * (1) a push to the tracked branch of an artifactless config's repository requests
 * (null, head); (2) a successful build of the tracked branch of `artifact.repo` requests
 * (S, head of the config repository's default branch); a config discovered or changed with
 * `autodeploy: true` is moved to what (1) and (2) would have run, whichever order its
 * discovery and the push arrive in; (5) a removed config is undeployed. Every config a
 * push or a green build concerns gets a decision: a deploy, or `deploy.skipped` with why.
 * Runs inside the consumer's inbox transaction.
 */
export class RepoEventsHandler {
  private readonly log = createLogger('autodeploy.repo-events');
  private readonly catchUp: AutodeployCatchUp;

  constructor(
    private readonly commands: ConfigCommands,
    private readonly knowledge: RepoKnowledge,
  ) {
    this.catchUp = new AutodeployCatchUp(commands, knowledge);
  }

  async handle(event: SluiceEvent, m: Transaction): Promise<void> {
    // Which configs a renamed repository concerns, before the knowledge follows the rename.
    const renamed = event.type === 'repo.renamed' ? await this.knowledge.configsNaming(m, event.data.from) : [];
    await projectRepoKnowledge(event, m, this.knowledge);
    switch (event.type) {
      case 'repo.branch.updated':
        return this.onPush(event, m);
      case 'repo.build.recorded':
        return this.onBuild(event, m);
      case 'repo.config.discovered':
      case 'repo.config.changed':
        return this.onConfig(event, m);
      case 'repo.config.removed':
        return this.onConfigRemoved(event, m);
      case 'repo.tag.pushed':
        return this.onTag(event, m);
      case 'repo.renamed':
        return this.onRename(event, renamed, m);
      default:
        return;
    }
  }

  private async onPush(event: SluiceEventOf<'repo.branch.updated'>, m: Transaction): Promise<void> {
    const { repo, branch, headSha } = event.data;
    await this.requestBranchBuilds(event, m);
    for (const name of await this.knowledge.configsForPush(m, repo, branch)) {
      await this.decide(
        name,
        {
          type: 'RequestDeploy',
          deployId: uuidv7(),
          pair: { artifactSha: null, configSha: headSha },
          cause: 'autodeploy',
          requestedBy: AUTODEPLOY_ACTOR,
          reason: `push to ${branch} of ${repo} (${shortSha(headSha)})`,
          reappliedFrom: null,
          facts: { artifactShaKnown: true, configShaKnown: true, artifactBranch: null },
        },
        m,
        event.id,
      );
    }
  }

  /** Builds (§1 "Builds"): a push to the tracked branch of the artifact repository builds for staging. */
  private async requestBranchBuilds(event: SluiceEventOf<'repo.branch.updated'>, m: Transaction): Promise<void> {
    const { repo, branch, headSha } = event.data;
    for (const config of await this.knowledge.configsThatBuild(m, repo)) {
      if (config.trackBranch !== branch) continue;
      await this.requestBuild(config.name, { target: 'staging', ref: branch, commitSha: headSha, reason: `push to ${branch} of ${repo} (${shortSha(headSha)})` }, m, event.id);
    }
  }

  /** A pushed tag matching `track.tags` builds for production. */
  private async onTag(event: SluiceEventOf<'repo.tag.pushed'>, m: Transaction): Promise<void> {
    const { repo, tag, sha } = event.data;
    for (const config of await this.knowledge.configsThatBuild(m, repo)) {
      if (config.trackTags === null || !picomatch.isMatch(tag, config.trackTags)) continue;
      await this.requestBuild(config.name, { target: 'production', ref: tag, commitSha: sha, reason: `tag ${tag} of ${repo} pushed (${shortSha(sha)})` }, m, event.id);
    }
  }

  private requestBuild(name: string, build: { target: BuildTarget; ref: string; commitSha: string; reason: string }, m: Transaction, causationId: string) {
    return this.decide(name, { type: 'RequestBuild', buildId: uuidv7(), requestedBy: AUTODEPLOY_ACTOR, ...build }, m, causationId);
  }

  private async onBuild(event: SluiceEventOf<'repo.build.recorded'>, m: Transaction): Promise<void> {
    const { repo, sha, branch, buildName, status, conclusion } = event.data;
    if (status !== 'completed' || conclusion !== 'success' || branch === null) return;
    // Builds finish out of order: a build of a commit the branch has moved past (or a re-run
    // of an old one) must not roll a config back (nor is it recorded green). Unknown head: trust the build.
    const head = await this.knowledge.branchHead(m, repo, branch);
    const stale = head !== null && head !== sha;
    const configs = await this.knowledge.configsForBuild(m, repo, buildName);
    if (configs.length === 0) return;
    const reason = `build ${buildName} of ${repo}@${shortSha(sha)} on ${branch} succeeded`;
    if (stale && configs.some((c) => c.trackBranch === branch)) {
      staleBuildsSkipped.inc();
      this.log.info({ repo, branch, sha, head, configs: configs.map((c) => c.name) }, 'build of a commit that is no longer the branch head: not deployed');
    }
    for (const config of configs) {
      const obstacle: AutodeployObstacle | undefined =
        config.trackBranch !== branch
          ? { code: 'other-branch', message: `${config.name} tracks ${config.trackBranch}, not ${branch}` }
          : stale
            ? { code: 'stale-build', message: `${branch} of ${repo} is at ${shortSha(head)} now: a build of an older commit is not deployed (autodeploy never rolls back)` }
            : undefined;
      const configHead = obstacle ? null : await this.knowledge.defaultBranchHead(m, config.configRepo);
      const request: ConfigCommand = {
        type: 'RequestDeploy',
        deployId: uuidv7(),
        pair: { artifactSha: sha, configSha: configHead },
        cause: 'autodeploy',
        requestedBy: AUTODEPLOY_ACTOR,
        reason,
        reappliedFrom: null,
        facts: { artifactShaKnown: true, configShaKnown: true, artifactBranch: branch },
        ...(obstacle ? { obstacle } : {}),
      };
      await this.decide(
        config.name,
        !obstacle && configHead === null
          ? { type: 'RejectAutodeploy', pair: request.pair, reason, message: `the head of the default branch of ${config.configRepo} is not known yet` }
          : request,
        m,
        event.id,
      );
    }
  }

  private async onConfig(event: SluiceEventOf<'repo.config.discovered' | 'repo.config.changed'>, m: Transaction): Promise<void> {
    const { config: root, configSha } = event.data;
    const decision = await this.decide(root.name, { type: 'RegisterConfig', root, configSha }, m, event.id);
    if (decision.error) {
      this.log.warn({ config: root.name, err: decision.error.message }, 'config not registered');
      return;
    }
    if (!decision.events.some((e) => e.type === 'config.registered')) return;
    // The push that added or changed the config may have been handled before the config was
    // known (repo-sync sends the push first), or may come after: deploy it now either way.
    if (!root.autodeploy) return;
    const what = event.type === 'repo.config.discovered' ? 'discovered' : 'changed';
    await this.catchUp.run(root.name, { reason: `config ${what} in ${root.configRepo} at ${shortSha(configSha)}`, catalogueSha: configSha }, { manager: m, causationId: event.id });
    // A config that builds its own image builds the head of its tracked branch, when known (once per commit).
    const head = root.build && root.artifact ? await this.knowledge.branchHead(m, root.artifact.repo, root.track.branch) : null;
    if (head) {
      await this.requestBuild(root.name, { target: 'staging', ref: root.track.branch, commitSha: head, reason: `config ${what} in ${root.configRepo} at ${shortSha(configSha)}` }, m, event.id);
    }
  }

  private async onConfigRemoved(event: SluiceEventOf<'repo.config.removed'>, m: Transaction): Promise<void> {
    const { name, configRepo, configSha } = event.data;
    await this.decide(name, { type: 'RemoveConfig', configRepo, configSha, deployId: uuidv7() }, m, event.id);
  }

  /** A renamed repository (docs/architecture.md §2): what autodeploy knows follows it, and each config that named it is registered under the new name. */
  private async onRename(event: SluiceEventOf<'repo.renamed'>, configs: readonly string[], m: Transaction): Promise<void> {
    const { from, to } = event.data;
    for (const name of configs) await this.decide(name, { type: 'FollowRepoRename', from, to }, m, event.id);
  }

  /** A decision on one config; the routes follow what it registered or removed (`projectRepoKnowledge`). */
  private async decide(name: string, command: ConfigCommand, m: Transaction, causationId: string) {
    const decision = await this.commands.execute(name, () => command, { manager: m, causationId });
    for (const e of decision.events) await projectRepoKnowledge(e as SluiceEvent, m, this.knowledge);
    return decision;
  }
}
