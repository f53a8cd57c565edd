import { applierStream, newEvent, type NewEvent } from '@sluice/contracts';
import { holdViewWriters, transactWithRetry, type EventStore } from '@sluice/event-store';
import type { DataSource, EntityManager } from 'typeorm';
import type { DeployLogLines, OutcomeCause, OutcomePort, ReportedOutcome } from '../application/ports';
import { outcomesReported } from './metrics';
import { KUBE_APPLIER_SCHEMA } from './migrations';
import { catchUpDeploy, OUTCOMES_WRITERS_LOCK, writeOutcomes } from './outcome-projection';
import { v7 as uuidv7 } from 'uuid';

/** kube-applier's outcome stream of one config (autodeploy records them in `config-<name>`). */
/** kube-applier's outcomes of a config (`applierStream` of the contract). */
export const outcomeStream = applierStream;

const SLOT: Record<Exclude<ReportedOutcome['type'], 'deploy.step'>, 'started' | 'applied' | 'result'> = {
  'deploy.started': 'started',
  'deploy.applied': 'applied',
  'deploy.succeeded': 'result',
  'deploy.failed': 'result',
  'deploy.undeployed': 'result',
};

const LOG_LINES_PER_EVENT = 50;

/** One report per slot of a deploy: its start, its apply, its result, and each state of each step (`step-<name>-<state>`). */
function slotOf(outcome: ReportedOutcome): string {
  return outcome.type === 'deploy.step' ? `step-${outcome.step}-${outcome.state}` : SLOT[outcome.type];
}

/**
 * Appends outcome events through the transactional outbox, at most once per (deploy, slot):
 * the `outcomes` row and the event commit together, so a reconcile pass repeated after a
 * crash or on resync finds the row and reports nothing twice, and a deploy gets exactly one
 * result (succeeded, failed or undeployed). Correlation comes from the request's record.
 */
export class OutcomeReporter implements OutcomePort {
  /** Slots known to be reported: spares a database round trip on every resync. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  async report(deployId: string, config: string, outcome: ReportedOutcome, options: { manager?: EntityManager; cause?: OutcomeCause; log?: DeployLogLines } = {}): Promise<boolean> {
    const { manager, cause, log } = options;
    const key = `${deployId}/${slotOf(outcome)}`;
    if (this.reported.has(key)) return false;
    const run = (m: EntityManager) => this.reportIn(m, deployId, config, outcome, cause, log);
    // 'any' appends only conflict with a newer concurrent transaction on the stream: retried.
    const emitted = manager ? await run(manager) : await transactWithRetry(this.dataSource, run);
    // In a caller's transaction the row is not committed yet: do not cache it.
    if (!manager) {
      if (this.reported.size > 10_000) this.reported.clear();
      this.reported.add(key);
    }
    if (emitted) outcomesReported.inc({ type: outcome.type });
    return emitted;
  }

  /**
   * Lines for the deploy's log (`deploy.log`: the Kubernetes Events of its objects, a test Job's
   * log), in the caller's transaction, 50 lines per event. The caller reports each line once.
   */
  async log(manager: EntityManager, deployId: string, config: string, source: DeployLogLines['source'], lines: DeployLogLines['lines'], cause?: OutcomeCause): Promise<void> {
    if (lines.length === 0) return;
    const meta = await this.causeOf(manager, deployId, cause);
    await this.store.append(outcomeStream(config), 'any', logEvents(deployId, config, { source, lines }, meta), { manager });
  }

  /** The request's correlation (a DeployConfig written by hand names no request: the deploy id correlates). */
  private async causeOf(manager: EntityManager, deployId: string, cause?: OutcomeCause): Promise<OutcomeCause> {
    if (cause) return cause;
    const [request]: Array<{ correlation_id: string; causation_id: string | null }> = await manager.query(
      `SELECT correlation_id, causation_id FROM kube_applier.deploys WHERE deploy_id = $1`,
      [deployId],
    );
    return { correlationId: request?.correlation_id ?? deployId, causationId: request?.causation_id ?? null };
  }

  private async reportIn(manager: EntityManager, deployId: string, config: string, outcome: ReportedOutcome, cause?: OutcomeCause, log?: DeployLogLines): Promise<boolean> {
    await holdViewWriters(manager, OUTCOMES_WRITERS_LOCK);
    const meta = await this.causeOf(manager, deployId, cause);
    // The log lines that go with this outcome precede it (in time too), once, as it does.
    const before = log ? logEvents(deployId, config, log, meta) : [];
    // Its id and time are set here: the `outcomes` row is the projection's row of this very event.
    const event = { ...toEvent(deployId, config, outcome, meta), id: uuidv7(), occurredAt: new Date().toISOString() };
    // What the log has of this deploy that the projection has not written yet (after a rebuild's swap).
    await catchUpDeploy(manager, outcomeStream(config), deployId);
    if (outcome.type === 'deploy.started') {
      // A request redelivered after a crash can be handled after the reconciler already
      // reported the deploy applied (or done): a late "started" would move it backwards.
      const later: unknown[] = await manager.query(
        `SELECT 1 FROM kube_applier.outcomes WHERE deploy_id = $1 AND slot IN ('applied', 'result') LIMIT 1`,
        [deployId],
      );
      if (later.length > 0) return false;
    }
    // The slot is taken by this event or was already: at most one report per (deploy, slot).
    const inserted = await writeOutcomes(manager, KUBE_APPLIER_SCHEMA, [event]);
    if (inserted.size === 0) return false;
    await this.store.append(outcomeStream(config), 'any', [...before, event], { manager });
    return true;
  }
}

/** `deploy.log` events of `log`'s lines, 50 lines per event, each line 4000 characters at most. */
function logEvents(deployId: string, config: string, log: DeployLogLines, meta: OutcomeCause): NewEvent[] {
  const { source, lines } = log;
  const events: NewEvent[] = [];
  for (let i = 0; i < lines.length; i += LOG_LINES_PER_EVENT) {
    events.push(newEvent('deploy.log', { deployId, config, source, lines: lines.slice(i, i + LOG_LINES_PER_EVENT).map((l) => ({ at: l.at, text: l.text.slice(0, 4000) || ' ' })) }, meta));
  }
  return events;
}

function toEvent(deployId: string, config: string, outcome: ReportedOutcome, meta: { correlationId: string; causationId: string | null }): NewEvent {
  switch (outcome.type) {
    case 'deploy.started':
      return newEvent('deploy.started', { deployId, config }, meta);
    case 'deploy.applied':
      return newEvent(
        'deploy.applied',
        {
          deployId,
          config,
          dryRun: outcome.dryRun,
          inventory: outcome.inventory.map((e) => ({ apiVersion: e.apiVersion, kind: e.kind, namespace: e.namespace ?? null, name: e.name })),
        },
        meta,
      );
    case 'deploy.succeeded':
      return newEvent('deploy.succeeded', { deployId, config }, meta);
    case 'deploy.failed':
      return newEvent('deploy.failed', { deployId, config, reason: outcome.reason, message: outcome.message, terminal: outcome.terminal }, meta);
    case 'deploy.undeployed':
      return newEvent('deploy.undeployed', { deployId, config }, meta);
    case 'deploy.step': {
      const { step, state, result, error, childId, startedAt, endedAt } = outcome;
      return newEvent('deploy.step', { deployId, config, step, state, result, error, childId, startedAt, endedAt }, meta);
    }
  }
}
