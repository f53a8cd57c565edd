export * from './domain/policy';
export * from './domain/events';
export * from './application/ports';
export * from './application/policy-gate';
export * from './adapters/pg-team-policies';
export * from './adapters/http/team-policies.controller';
export * from './team-policies.module';
export * from './adapters/team-policies-replay';
