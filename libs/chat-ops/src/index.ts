export * from './slack/request-verification';
export * from './domain/deploy-command';
