export * from './repo-sync.config';
export * from './repo-sync.module';
export { REPO_SYNC_SCHEMA, repoSyncMigrations } from './adapters/persistence/migrations';
export { GlobalSync, type SyncProgress } from './application/global-sync';
export { parseDeployConfig, configFolderOf, type ParsedConfig, type ConfigFieldError } from './domain/deploy-config';
export { decideConfigs } from './domain/config-diff';
export { REPO_SYNC_OPENAPI } from './adapters/http/repos.controller';
export * from './repo-sync.service';
