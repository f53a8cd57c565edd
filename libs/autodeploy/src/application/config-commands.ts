import { configStream, parseEvent, newEvent, type EventData } from '@sluice/contracts';
import { handleCommand, type EventStore, type StoredEvent } from '@sluice/event-store';
import { createLogger, currentCorrelation } from '@sluice/platform';
import type { PolicyGate } from '@sluice/team-policy';
import type { Transaction } from '@sluice/event-store';
import { isConfigEventType, type ConfigEvent } from '../domain/config-events';
import { decide, type ConfigCommand, type Decision } from '../domain/decide';
import { fold, initialState, isUndeployPair, type ConfigState } from '../domain/state';
import { concurrencyRetries, recordedEvents } from './metrics';
import type { CommitTimes } from './ports';

export interface ExecuteOptions {
  /** Run inside the caller's transaction (a consumer's inbox transaction); a ConcurrencyError then propagates (redelivery retries). */
  manager?: Transaction;
  /** The event that caused this command, when a consumed event did. */
  causationId?: string | null;
}

/** Builds the command from the loaded state (e.g. to check the team, or look up facts in the same transaction). */
export type CommandBuilder = (state: ConfigState, manager: Transaction) => Promise<ConfigCommand> | ConfigCommand;

/**
 * The application side of the aggregate, on event-store's `handleCommand`: load the config's
 * stream, decide, append with the expected version in one transaction; on a ConcurrencyError
 * reload and retry (CONCURRENCY_RETRY) so two simultaneous requests are both decided, one after
 * the other, and none is lost.
 */
export class ConfigCommands {
  private readonly log = createLogger('autodeploy.commands');

  constructor(
    private readonly store: EventStore,
    /** The team policies every deploy request is checked against (an undeploy never is: it only removes). */
    private readonly policies: PolicyGate,
    /** Called after a command of its own transaction committed events (e.g. to wake the projection). */
    private readonly afterCommit: () => void = () => undefined,
    /** The deployed commit's time, carried on the deploy request (`commitAt`) so lead time is in the log (#21). */
    private readonly commitTimes?: CommitTimes,
  ) {}

  async execute(name: string, build: CommandBuilder, options: ExecuteOptions = {}): Promise<Decision> {
    const correlationId = currentCorrelation()?.correlationId;
    const meta = { causationId: options.causationId ?? null, ...(correlationId ? { correlationId } : {}) };
    let command: ConfigCommand | undefined;
    const { decision } = await handleCommand(
      this.store,
      configStream(name),
      foldConfig,
      async (state, manager) => {
        command = await this.withCommitTime(await this.withPlacement(await build(state, manager), state, manager), manager);
        const decision = decide(command, state, name);
        return { decision, events: decision.events.map((e) => newEvent(e.type, e.data as EventData<typeof e.type>, meta)) };
      },
      {
        manager: options.manager,
        onRetry: (attempt) => {
          concurrencyRetries.inc();
          this.log.debug({ stream: configStream(name), attempt }, 'stream moved on; reloading and deciding again');
        },
      },
    );
    this.recorded(name, command!, decision);
    if (!options.manager && decision.events.length > 0) this.afterCommit();
    return decision;
  }

  /** A deploy request carries the team policy's verdict on where the config deploys, so the decider stays pure. */
  private async withPlacement(command: ConfigCommand, state: ConfigState, manager: Transaction): Promise<ConfigCommand> {
    if (!state.root) return command;
    const needsPlacement =
      (command.type === 'RequestDeploy' && !isUndeployPair(command.pair)) ||
      command.type === 'RequestBuild' ||
      (command.type === 'RecordBuildReport' && command.report.type === 'build.finished' && command.report.data.phase === 'Succeeded');
    if (!needsPlacement) return command;
    const { team, namespace, configRepo } = state.root;
    const verdict = await this.policies.placement({ config: state.root.name, team, namespace, configRepo }, manager);
    return { ...command, placement: verdict.allowed ? { allowed: true } : { allowed: false, reason: verdict.reason, message: verdict.message } };
  }

  /**
   * A deploy request carries when its commit was made (the artifact commit, else the config
   * commit), looked up in what the pushes of `sluice.repo.v1` said: that topic is repo-sync's
   * log, not autodeploy's, so the time is put in autodeploy's own event for a replay to find.
   */
  private async withCommitTime(command: ConfigCommand, manager: Transaction): Promise<ConfigCommand> {
    if (!this.commitTimes || command.type !== 'RequestDeploy' || command.commitAt) return command;
    const sha = command.pair.artifactSha ?? command.pair.configSha;
    const commitAt = sha === null ? null : await this.commitTimes.committedAt(manager, sha);
    return commitAt ? { ...command, commitAt } : command;
  }

  private recorded(name: string, command: ConfigCommand, decision: Decision): void {
    for (const e of decision.events) {
      recordedEvents.inc({ type: e.type });
      const deployId = (e.data as { deployId?: string }).deployId;
      const skipped = e.type === 'deploy.skipped' ? { code: e.data.code, message: e.data.message } : {};
      this.log.info({ stream: configStream(name), type: e.type, ...(deployId ? { deployId } : {}), ...skipped, command: command.type }, 'recorded');
    }
    if (decision.skipped) this.log.debug({ stream: configStream(name), command: command.type, skipped: decision.skipped }, 'nothing to record');
  }
}

/** A config's state from its stream. */
export function foldConfig(stored: readonly StoredEvent[]): ConfigState {
  return fold(stored.map(toConfigEvent).filter((e): e is ConfigEvent => e !== null), initialState);
}

/** A stored event of a config stream, validated and upcast; null for anything else. */
export function toConfigEvent(stored: StoredEvent): ConfigEvent | null {
  if (!isConfigEventType(stored.type)) return null;
  const event = parseEvent(stored);
  return { type: event.type, data: event.data } as ConfigEvent;
}
