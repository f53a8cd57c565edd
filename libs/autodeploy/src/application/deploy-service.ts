import type { Transaction } from '@sluice/event-store';
import { v7 as uuidv7 } from 'uuid';
import { ALL_KNOWN, type CommitFacts, type Decision } from '../domain/decide';
import { ConfigNotFoundError, DeployNotFoundError, ForbiddenTeamError, type DomainError } from '../domain/errors';
import type { ConfigState, StatePair } from '../domain/state';
import { AutodeployCatchUp } from './catch-up';
import type { ConfigCommands } from './config-commands';
import type { Actor, RepoKnowledge } from './ports';
import type { ReadModels } from './read-models';

/** The result of a deploy request: the new deploy, or the existing one an identical request maps to. */
export interface DeployAccepted {
  deployId: string;
  /** False when the request mapped to an existing deploy (identical pair queued, in flight or applied). */
  created: boolean;
}

/** A refusal carrying the domain error (mapped to HTTP at the edge). */
export class CommandRefused extends Error {
  constructor(readonly error: DomainError) {
    super(error.message);
    this.name = 'CommandRefused';
  }
}

export function assertMayActOn(actor: Actor, team: string): void {
  if (actor.team !== null && actor.team !== team) throw new CommandRefused(new ForbiddenTeamError(actor.subject, team));
}

/** The use cases behind the deploy API: deploy, re-apply, undeploy, pin, unpin. Every decision records who and why. */
export class DeployService {
  private readonly catchUp: AutodeployCatchUp;

  constructor(
    private readonly commands: ConfigCommands,
    private readonly knowledge: RepoKnowledge,
    private readonly reads: ReadModels,
  ) {
    this.catchUp = new AutodeployCatchUp(commands, knowledge);
  }

  /**
   * A manual deploy of (artifactSha, configSha); (null, null) undeploys. Pins the config. `branch`:
   * the branch the person named (chat), whose name the image tag carries when the commit is on it.
   */
  async deploy(actor: Actor, input: { config: string; pair: StatePair; reason: string; branch?: string | null }): Promise<DeployAccepted> {
    const deployId = uuidv7();
    const decision = await this.commands.execute(input.config, async (state, m) => {
      this.authorize(actor, input.config, state);
      return {
        type: 'RequestDeploy',
        deployId,
        pair: input.pair,
        cause: 'manual',
        requestedBy: actor.subject,
        reason: input.reason,
        reappliedFrom: null,
        facts: await this.facts(m, state, input.pair, input.branch ?? null),
      };
    });
    return accepted(decision, deployId);
  }

  /** A new deploy of exactly the pair (and image tag) of an earlier one. Pins the config. */
  async reapply(actor: Actor, fromDeployId: string, reason: string): Promise<DeployAccepted> {
    const from = await this.reads.getDeploy(fromDeployId);
    if (!from) throw new CommandRefused(new DeployNotFoundError(fromDeployId));
    assertMayActOn(actor, from.team);
    const deployId = uuidv7();
    const decision = await this.commands.execute(from.config, (state) => {
      this.authorize(actor, from.config, state);
      const original = state.deploys[fromDeployId];
      if (!original) throw new CommandRefused(new DeployNotFoundError(fromDeployId));
      return {
        type: 'RequestDeploy',
        deployId,
        pair: original.pair,
        cause: 'reapply',
        requestedBy: actor.subject,
        reason,
        reappliedFrom: fromDeployId,
        facts: ALL_KNOWN,
        imageTag: original.target.imageTag,
      };
    });
    return accepted(decision, deployId);
  }

  /** Records the deploy in flight as failed (its outcome never came) so the queue moves on. */
  async abandon(actor: Actor, deployId: string, reason: string): Promise<void> {
    const deploy = await this.reads.getDeploy(deployId);
    if (!deploy) throw new CommandRefused(new DeployNotFoundError(deployId));
    assertMayActOn(actor, deploy.team);
    const decision = await this.commands.execute(deploy.config, (state) => {
      this.authorize(actor, deploy.config, state);
      return { type: 'AbandonDeploy', deployId, by: actor.subject, reason };
    });
    if (decision.error) throw new CommandRefused(decision.error);
  }

  undeploy(actor: Actor, config: string, reason: string): Promise<DeployAccepted> {
    return this.deploy(actor, { config, pair: { artifactSha: null, configSha: null }, reason });
  }

  /**
   * Pins or unpins. An unpin hands the config back to autodeploy at once: it moves to the
   * newest green build of its tracked branch with the config repository's head (artifactful)
   * or to the head of its tracked branch (artifactless), unless it is there already — or
   * records why it does not (`deploy.skipped`, e.g. autodeploy is off).
   */
  async pin(actor: Actor, config: string, reason: string, pinned: boolean): Promise<void> {
    const decision = await this.commands.execute(config, (state) => {
      this.authorize(actor, config, state);
      return { type: pinned ? 'Pin' : 'Unpin', by: actor.subject, reason };
    });
    if (decision.error) throw new CommandRefused(decision.error);
    if (pinned || !decision.events.some((e) => e.type === 'config.unpinned')) return;
    const why = reason ? `: ${reason}` : '';
    await this.catchUp.run(config, { reason: `unpinned by ${actor.subject}${why}`, catalogueSha: null });
  }

  private authorize(actor: Actor, config: string, state: ConfigState): void {
    if (state.status === 'unregistered' || !state.root) throw new CommandRefused(new ConfigNotFoundError(config));
    assertMayActOn(actor, state.root.team);
  }

  /** Whether the SHAs are known commits of the right repositories, and the branch of the artifact commit for its image tag. */
  private async facts(m: Transaction, state: ConfigState, pair: StatePair, named: string | null): Promise<CommitFacts> {
    const root = state.root!;
    const artifactRepo = root.artifact?.repo ?? null;
    const artifactShaKnown = pair.artifactSha === null || artifactRepo === null || (await this.knowledge.isKnownCommit(m, artifactRepo, pair.artifactSha));
    const configShaKnown = pair.configSha === null || (await this.knowledge.isKnownCommit(m, root.configRepo, pair.configSha));
    let artifactBranch: string | null = null;
    if (pair.artifactSha !== null && artifactRepo !== null) {
      const branches = await this.knowledge.branchesOf(m, artifactRepo, pair.artifactSha);
      const preferred = [named, root.track.branch].find((b) => b !== null && branches.includes(b));
      artifactBranch = preferred ?? branches[0] ?? null;
    }
    return { artifactShaKnown, configShaKnown, artifactBranch };
  }
}

function accepted(decision: Decision, requestedId: string): DeployAccepted {
  if (decision.error) throw new CommandRefused(decision.error);
  const deployId = decision.deployId ?? requestedId;
  return { deployId, created: deployId === requestedId };
}
