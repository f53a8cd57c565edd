import type { SluiceService } from '@sluice/event-store';
import { REPO_SYNC_OPENAPI } from './adapters/http/repos.controller';
import { REPO_SYNC_SCHEMA, repoSyncMigrations } from './adapters/persistence/migrations';
import { RepoSyncModule } from './repo-sync.module';
import { repoSyncConfigSchema, type RepoSyncConfig } from './repo-sync.config';

/** repo-sync, defined once: its \`main.ts\` runs it with \`serviceBootstrap\`, the all-in-one beside the others. */
export const repoSyncService: SluiceService<RepoSyncConfig> = {
  name: 'repo-sync',
  configSchema: repoSyncConfigSchema,
  databaseSchema: REPO_SYNC_SCHEMA,
  migrations: repoSyncMigrations,
  module: (config) => RepoSyncModule.forRoot(config),
  openApi: REPO_SYNC_OPENAPI,
};
