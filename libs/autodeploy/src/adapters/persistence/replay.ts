import { ViewRebuild, type Projection, type ViewRebuildStatus } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { AUTODEPLOY_SCHEMA } from './migrations';
import { projectReadModels, READ_MODEL_PROJECTION, READ_MODEL_TABLES } from './read-model-projection';

export interface ReplayStatus {
  replayId: string;
  requestedBy: string;
  requestedAt: string;
  /** `running` while the copy is built (the API answers from the live read models); `done` once it replaced them; `failed` left them as they were. */
  status: 'running' | 'done' | 'failed';
  /** Events of the log projected into the copy, of `total` (the log's length when the replay began, plus what it caught up). */
  processed: number;
  total: number;
  error: string | null;
}

const log = createLogger('autodeploy.replay');

/**
 * Rebuilds autodeploy's read models (`configs`, `deploys`, `config_history`, `builds`) from the
 * log, blue/green (`ViewRebuild`, docs/architecture.md §4 "Rebuilding views"): into a copy in
 * `autodeploy_rebuild` while the live tables keep serving, then swapped in atomically under the
 * projection's checkpoint lock. Asked again while one runs, it answers the running one.
 */
export class ReplayService {
  readonly rebuild: ViewRebuild;

  constructor(
    dataSource: DataSource,
    private readonly projection: Projection,
    options: { batchSize?: number } = {},
  ) {
    this.rebuild = new ViewRebuild(dataSource, {
      schema: AUTODEPLOY_SCHEMA,
      checkpoint: READ_MODEL_PROJECTION,
      tables: READ_MODEL_TABLES,
      project: projectReadModels,
      batchSize: options.batchSize,
      logger: log,
    });
  }

  async start(requestedBy: string): Promise<ReplayStatus> {
    const { status, finished } = await this.rebuild.start(requestedBy);
    // The live projection goes on from the checkpoint the swap left.
    void finished.then(() => this.projection.wake(), () => undefined);
    return toReplayStatus(status);
  }

  async status(id: string): Promise<ReplayStatus | null> {
    const status = await this.rebuild.status(id);
    return status && toReplayStatus(status);
  }
}

function toReplayStatus(s: ViewRebuildStatus): ReplayStatus {
  return { replayId: s.rebuildId, requestedBy: s.requestedBy, requestedAt: s.requestedAt, status: s.status, processed: s.processed, total: s.total, error: s.error };
}
