export * from './envelope';
export * from './topics';
export * from './registry';
export * from './parse';
export * from './json-schemas';
export * from './events/common';
export type { BuildConclusion } from './events/scm';
export type { CommitStatusPhase } from './events/status';
export { commitStatusPhase } from './events/status';
