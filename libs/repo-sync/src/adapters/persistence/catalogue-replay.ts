import { ViewReplay } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { CATALOGUE_TABLES, CATALOGUE_VIEWS, CATALOGUE_WRITERS_LOCK, projectCatalogueLog } from './catalogue-projection';
import { REPO_SYNC_SCHEMA } from './migrations';

const log = createLogger('repo-sync.replay');

/**
 * The catalogue rebuilt blue/green from repo-sync's log (`ViewRebuild` into `repo_sync_rebuild`),
 * swapped in while its writers — the transactions that append the catalogue's events — wait
 * (docs/architecture.md §4 "Rebuilding views"). Refused (409) for a catalogue written in part
 * before its log held every fact of it (`catalogue_log`).
 */
export class CatalogueReplay extends ViewReplay {
  constructor(dataSource: DataSource, options: { batchSize?: number } = {}) {
    super(dataSource, { wake: () => undefined }, {
      schema: REPO_SYNC_SCHEMA,
      checkpoint: CATALOGUE_VIEWS,
      tables: CATALOGUE_TABLES,
      project: projectCatalogueLog,
      writersLock: CATALOGUE_WRITERS_LOCK,
      batchSize: options.batchSize,
      logger: log,
      completeness: {
        table: 'catalogue_log',
        code: 'catalogue_log_incomplete',
        lacking: "the catalogue was written in part from commits, config scans and build orders repo-sync's log did not yet hold",
      },
    });
  }
}
