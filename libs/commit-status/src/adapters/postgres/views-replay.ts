import { ViewReplay } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { COMMIT_STATUS_SCHEMA } from './migrations';
import { carryOwnedPending, COMMIT_STATUS_VIEW_TABLES, COMMIT_STATUS_VIEWS, commitStatusViewsWritersLock, projectCommitStatusViews } from './views';

const log = createLogger('commit-status.replay');

/**
 * commit-status's views (`deploy_statuses`, `config_repos`, `repo_providers`) rebuilt blue/green
 * from the events it received and kept in its log, swapped in while its writers — the deploy and
 * config consumers' transactions — wait (docs/architecture.md §4 "Rebuilding views"). Refused
 * (409) when rows were written before the service kept the events (`commit_status_views_log`).
 */
export class CommitStatusViewsReplay extends ViewReplay {
  constructor(dataSource: DataSource, options: { schema?: string; batchSize?: number } = {}) {
    const schema = options.schema ?? COMMIT_STATUS_SCHEMA;
    super(dataSource, { wake: () => undefined }, {
      schema,
      checkpoint: COMMIT_STATUS_VIEWS,
      tables: COMMIT_STATUS_VIEW_TABLES,
      project: projectCommitStatusViews,
      writersLock: commitStatusViewsWritersLock(schema),
      beforeSwap: carryOwnedPending,
      batchSize: options.batchSize,
      logger: log,
      completeness: {
        table: 'commit_status_views_log',
        code: 'commit_status_views_log_incomplete',
        lacking: 'deploy statuses, config repositories or repository providers were written from events commit-status did not yet keep in its log',
      },
    });
  }
}
