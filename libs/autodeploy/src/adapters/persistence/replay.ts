import { ViewReplay, type Projection } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { AUTODEPLOY_SCHEMA } from './migrations';
import { projectReadModels, READ_MODEL_PROJECTION, READ_MODEL_TABLES } from './read-model-projection';

export type { ReplayStatus } from '@sluice/event-store';

const log = createLogger('autodeploy.replay');

/**
 * Rebuilds autodeploy's read models (`configs`, `deploys`, `config_history`, `builds`) from the
 * log, blue/green (`ViewRebuild`, docs/architecture.md §4 "Rebuilding views"): into a copy in
 * `autodeploy_rebuild` while the live tables keep serving, then swapped in atomically under the
 * projection's checkpoint lock.
 */
export class ReplayService extends ViewReplay {
  constructor(dataSource: DataSource, projection: Projection, options: { batchSize?: number } = {}) {
    super(dataSource, projection, {
      schema: AUTODEPLOY_SCHEMA,
      checkpoint: READ_MODEL_PROJECTION,
      tables: READ_MODEL_TABLES,
      project: projectReadModels,
      batchSize: options.batchSize,
      logger: log,
    });
  }
}
