export * from './commit-status.config';
export * from './commit-status.module';
