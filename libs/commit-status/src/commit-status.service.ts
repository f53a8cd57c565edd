import type { SluiceService } from '@sluice/event-store';
import { COMMIT_STATUS_OPENAPI } from './adapters/http/commit-statuses.controller';
import { COMMIT_STATUS_SCHEMA, commitStatusMigrations } from './adapters/postgres/migrations';
import { CommitStatusModule } from './commit-status.module';
import { commitStatusConfigSchema, type CommitStatusConfig } from './commit-status.config';

/** commit-status, defined once: its \`main.ts\` runs it with \`serviceBootstrap\`, the all-in-one beside the others. */
export const commitStatusService: SluiceService<CommitStatusConfig> = {
  name: 'commit-status',
  configSchema: commitStatusConfigSchema,
  databaseSchema: COMMIT_STATUS_SCHEMA,
  migrations: commitStatusMigrations,
  module: (config) => CommitStatusModule.forRoot(config),
  openApi: COMMIT_STATUS_OPENAPI,
};
