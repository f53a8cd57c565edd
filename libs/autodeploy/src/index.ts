export * from './autodeploy.config';
export * from './autodeploy.module';
export { AUTODEPLOY_OPENAPI } from './adapters/http/openapi';
export { autodeployMigrations, AUTODEPLOY_SCHEMA } from './adapters/persistence/migrations';
export { autodeployTopicFor } from './adapters/messaging/topic-for';
export type { ConfigView, DeployView } from './application/read-models';
export * from './autodeploy.service';
