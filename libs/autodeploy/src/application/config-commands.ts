import { configStream, parseEvent, newEvent, type EventData } from '@sluice/contracts';
import { transactWithRetry, type EventStore, type StoredEvent } from '@sluice/event-store';
import { createLogger, currentCorrelation } from '@sluice/platform';
import type { PolicyGate } from '@sluice/team-policy';
import type { EntityManager } from 'typeorm';
import { isConfigEventType, type ConfigEvent } from '../domain/config-events';
import { decide, type ConfigCommand, type Decision } from '../domain/decide';
import { fold, initialState, isUndeployPair, type ConfigState } from '../domain/state';
import { concurrencyRetries, recordedEvents } from './metrics';

export interface ExecuteOptions {
  /** Run inside the caller's transaction (a consumer's inbox transaction); a ConcurrencyError then propagates (redelivery retries). */
  manager?: EntityManager;
  /** The event that caused this command, when a consumed event did. */
  causationId?: string | null;
}

/** Builds the command from the loaded state (e.g. to check the team, or look up facts in the same transaction). */
export type CommandBuilder = (state: ConfigState, manager: EntityManager) => Promise<ConfigCommand> | ConfigCommand;

/**
 * The application side of the aggregate: load the config's stream, decide, append with
 * the expected version in one transaction; on a ConcurrencyError reload and retry
 * (event-store's CONCURRENCY_RETRY) so two simultaneous requests are both decided, one
 * after the other, and none is lost.
 */
export class ConfigCommands {
  private readonly log = createLogger('autodeploy.commands');

  constructor(
    private readonly store: EventStore,
    /** The team policies every deploy request is checked against (an undeploy never is: it only removes). */
    private readonly policies: PolicyGate,
    /** Called after a command of its own transaction committed events (e.g. to wake the projection). */
    private readonly afterCommit: () => void = () => undefined,
  ) {}

  async load(name: string, manager?: EntityManager): Promise<{ state: ConfigState; version: number }> {
    const stored = await this.store.readStream(configStream(name), { manager });
    return { state: fold(stored.map(toConfigEvent).filter((e): e is ConfigEvent => e !== null), initialState), version: stored.at(-1)?.streamVersion ?? 0 };
  }

  async execute(name: string, build: CommandBuilder, options: ExecuteOptions = {}): Promise<Decision> {
    if (options.manager) return this.attempt(name, build, options.manager, options);
    const decision = await transactWithRetry(this.store.dataSource, (manager) => this.attempt(name, build, manager, options), {
      onRetry: (attempt) => {
        concurrencyRetries.inc();
        this.log.debug({ stream: configStream(name), attempt }, 'stream moved on; reloading and deciding again');
      },
    });
    if (decision.events.length > 0) this.afterCommit();
    return decision;
  }

  /** A deploy request carries the team policy's verdict on where the config deploys, so the decider stays pure. */
  private async withPlacement(command: ConfigCommand, state: ConfigState, manager: EntityManager): Promise<ConfigCommand> {
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

  private async attempt(name: string, build: CommandBuilder, manager: EntityManager, options: ExecuteOptions): Promise<Decision> {
    const { state, version } = await this.load(name, manager);
    const command = await this.withPlacement(await build(state, manager), state, manager);
    const decision = decide(command, state, name);
    if (decision.events.length > 0) {
      const correlationId = currentCorrelation()?.correlationId;
      await this.store.append(
        configStream(name),
        version,
        decision.events.map((e) =>
          newEvent(e.type, e.data as EventData<typeof e.type>, { causationId: options.causationId ?? null, ...(correlationId ? { correlationId } : {}) }),
        ),
        { manager },
      );
      for (const e of decision.events) {
        recordedEvents.inc({ type: e.type });
        const deployId = (e.data as { deployId?: string }).deployId;
        const skipped = e.type === 'deploy.skipped' ? { code: e.data.code, message: e.data.message } : {};
        this.log.info({ stream: configStream(name), type: e.type, ...(deployId ? { deployId } : {}), ...skipped, command: command.type }, 'recorded');
      }
    }
    if (decision.skipped) this.log.debug({ stream: configStream(name), command: command.type, skipped: decision.skipped }, 'nothing to record');
    return decision;
  }
}

/** A stored event of a config stream, validated and upcast; null for anything else. */
export function toConfigEvent(stored: StoredEvent): ConfigEvent | null {
  if (!isConfigEventType(stored.type)) return null;
  const event = parseEvent(stored);
  return { type: event.type, data: event.data } as ConfigEvent;
}
