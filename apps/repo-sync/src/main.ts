import { Module } from '@nestjs/common';
import { EventStoreModule, startSluiceConsumers } from '@sluice/event-store';
import { MessagingModule } from '@sluice/messaging';
import { bootstrapService, ConfigError, exitOnBootFailure, setupOpenApi } from '@sluice/platform';
import { REPO_SYNC_OPENAPI, REPO_SYNC_SCHEMA, repoSyncConfigSchema, RepoSyncConfig, repoSyncMigrations, RepoSyncModule } from '@sluice/repo-sync';

bootstrapService<RepoSyncConfig>({
  name: 'repo-sync',
  schema: repoSyncConfigSchema,
  module: (config) => {
    if (!config.DATABASE_URL) throw new ConfigError([{ variable: 'DATABASE_URL', message: 'required by repo-sync' }]);
    @Module({})
    class RepoSyncApp {}
    return {
      module: RepoSyncApp,
      imports: [
        MessagingModule.forRoot({ brokers: config.KAFKA_BROKERS, clientId: 'repo-sync', topicPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX, groupPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX }),
        EventStoreModule.forRoot({ url: config.DATABASE_URL, schema: REPO_SYNC_SCHEMA, migrations: repoSyncMigrations }),
        RepoSyncModule.forRoot(config),
      ],
    };
  },
  configure: (app) => setupOpenApi(app, REPO_SYNC_OPENAPI),
  start: startSluiceConsumers,
}).catch(exitOnBootFailure);
