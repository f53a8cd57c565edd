import { EventStoreModule, startSluiceConsumers } from '@sluice/event-store';
import { MessagingModule } from '@sluice/messaging';
import { bootstrapService, exitOnBootFailure, setupOpenApi } from '@sluice/platform';
import {
  COMMIT_STATUS_OPENAPI,
  COMMIT_STATUS_SCHEMA,
  commitStatusConfigSchema,
  commitStatusMigrations,
  CommitStatusConfig,
  CommitStatusModule,
} from '@sluice/commit-status';

bootstrapService<CommitStatusConfig>({
  name: 'commit-status',
  schema: commitStatusConfigSchema,
  module: (config) => ({
    module: class CommitStatusAppModule {},
    imports: [
      EventStoreModule.forRoot({ url: config.DATABASE_URL, schema: COMMIT_STATUS_SCHEMA, migrations: commitStatusMigrations }),
      MessagingModule.forRoot({ brokers: config.KAFKA_BROKERS, clientId: 'sluice-commit-status', topicPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX, groupPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX }),
      CommitStatusModule.forRoot(config),
    ],
  }),
  configure: (app) => setupOpenApi(app, COMMIT_STATUS_OPENAPI),
  start: startSluiceConsumers,
}).catch(exitOnBootFailure);
