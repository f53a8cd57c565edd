export * from './commit-status.config';
export * from './commit-status.module';
export { commitStatusMigrations, COMMIT_STATUS_SCHEMA } from './adapters/postgres/migrations';
export { CommitStatusRuntime } from './application/commit-status-runtime';
export { COMMIT_STATUS_STORE, type CommitStatusStore, type CommitStatusRecord, type CommitStatusKey } from './application/ports';
export type { CommitStatusSpec, SyncStatus, Phase, ProviderKind } from './domain/model';
export { COMMIT_STATUS_OPENAPI } from './adapters/http/commit-statuses.controller';
export * from './commit-status.service';
