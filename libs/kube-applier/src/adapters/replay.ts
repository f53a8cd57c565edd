import { Projection, ViewReplay, type EventStore, type ReplayStatus } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { KUBE_APPLIER_SCHEMA } from './migrations';
import { OUTCOME_TABLES, OUTCOMES_PROJECTION, OUTCOMES_WRITERS_LOCK, projectOutcomes } from './outcome-projection';

/** What kube-applier's replay endpoints answer: the shape every service's replay answers. */
export type KubeApplierReplayStatus = ReplayStatus;

const log = createLogger('kube-applier.replay');

/**
 * kube-applier's views that are projections of its own log (`outcomes`, from the `applier-*`
 * streams; docs/architecture.md §4 "Rebuilding views"): the live projection that keeps them caught
 * up with the log (the reporter writes each row with its event; the projection writes what a
 * rebuild's swap left behind) and their blue/green rebuild (`ViewRebuild`) into
 * `kube_applier_rebuild`, swapped in under the projection's checkpoint lock.
 */
export class KubeApplierReplay extends ViewReplay {
  constructor(
    dataSource: DataSource,
    readonly projection: Projection,
    options: { batchSize?: number } = {},
  ) {
    super(dataSource, projection, {
      schema: KUBE_APPLIER_SCHEMA,
      checkpoint: OUTCOMES_PROJECTION,
      tables: OUTCOME_TABLES,
      project: projectOutcomes,
      writersLock: OUTCOMES_WRITERS_LOCK,
      batchSize: options.batchSize,
      logger: log,
    });
  }

  /** The live projection that keeps `outcomes` caught up with the log. */
  static liveProjection(store: EventStore, options: { pollIntervalMs?: number } = {}): Projection {
    return new Projection(store, (events, manager) => projectOutcomes(events, manager, KUBE_APPLIER_SCHEMA), {
      name: OUTCOMES_PROJECTION,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      logger: log,
    });
  }
}
