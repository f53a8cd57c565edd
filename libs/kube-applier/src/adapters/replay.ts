import { Projection, ViewRebuild, type EventStore, type ViewRebuildStatus } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { KUBE_APPLIER_SCHEMA } from './migrations';
import { OUTCOME_TABLES, OUTCOMES_PROJECTION, projectOutcomes } from './outcome-projection';

export interface KubeApplierReplayStatus {
  replayId: string;
  requestedBy: string;
  requestedAt: string;
  /** `running` while the copy is built (the live `outcomes` serve); `done` once it replaced them; `failed` left them as they were. */
  status: 'running' | 'done' | 'failed';
  /** Events of kube-applier's log projected into the copy, of `total`. */
  processed: number;
  total: number;
  error: string | null;
}

const log = createLogger('kube-applier.replay');

/**
 * kube-applier's views that are projections of its own log (`outcomes`, from the `applier-*`
 * streams; docs/architecture.md §4 "Rebuilding views"): the live projection that keeps them caught
 * up with the log (the reporter writes each row with its event; the projection writes what a
 * rebuild's swap left behind) and their blue/green rebuild (`ViewRebuild`) into
 * `kube_applier_rebuild`, swapped in under the projection's checkpoint lock.
 */
export class KubeApplierReplay {
  readonly projection: Projection;
  readonly rebuild: ViewRebuild;

  constructor(dataSource: DataSource, store: EventStore, options: { batchSize?: number; pollIntervalMs?: number } = {}) {
    this.projection = new Projection(store, (events, manager) => projectOutcomes(events, manager, KUBE_APPLIER_SCHEMA), {
      name: OUTCOMES_PROJECTION,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      logger: log,
    });
    this.rebuild = new ViewRebuild(dataSource, {
      schema: KUBE_APPLIER_SCHEMA,
      checkpoint: OUTCOMES_PROJECTION,
      tables: OUTCOME_TABLES,
      project: projectOutcomes,
      batchSize: options.batchSize,
      logger: log,
    });
  }

  async start(requestedBy: string): Promise<KubeApplierReplayStatus> {
    const { status, finished } = await this.rebuild.start(requestedBy);
    // The live projection goes on from the checkpoint the swap left.
    void finished.then(() => this.projection.wake(), () => undefined);
    return toReplayStatus(status);
  }

  async status(id: string): Promise<KubeApplierReplayStatus | null> {
    const status = await this.rebuild.status(id);
    return status && toReplayStatus(status);
  }
}

function toReplayStatus(s: ViewRebuildStatus): KubeApplierReplayStatus {
  return { replayId: s.rebuildId, requestedBy: s.requestedBy, requestedAt: s.requestedAt, status: s.status, processed: s.processed, total: s.total, error: s.error };
}
