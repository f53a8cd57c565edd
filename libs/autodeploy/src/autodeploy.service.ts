import type { SluiceService } from '@sluice/event-store';
import { AUTODEPLOY_OPENAPI } from './adapters/http/openapi';
import { autodeployTopicFor } from './adapters/messaging/topic-for';
import { AUTODEPLOY_SCHEMA, autodeployMigrations } from './adapters/persistence/migrations';
import { AutodeployModule } from './autodeploy.module';
import { autodeployConfigSchema, type AutodeployConfig } from './autodeploy.config';

/** autodeploy, defined once: its \`main.ts\` runs it with \`serviceBootstrap\`, the all-in-one beside the others. */
export const autodeployService: SluiceService<AutodeployConfig> = {
  name: 'autodeploy',
  configSchema: autodeployConfigSchema,
  databaseSchema: AUTODEPLOY_SCHEMA,
  migrations: autodeployMigrations,
  relayTopicFor: autodeployTopicFor,
  module: (config) => AutodeployModule.forRoot(config),
  openApi: AUTODEPLOY_OPENAPI,
  // Slack's requests are verified against their raw bytes (chat-ops).
  rawBody: true,
};
