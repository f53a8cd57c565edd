export * from './mapping';
export * from './github-check-run';
export * from './github-commit-status';
export * from './gitlab';
export * from './bitbucket';
