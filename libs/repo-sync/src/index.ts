export * from './repo-sync.config';
export * from './repo-sync.module';
