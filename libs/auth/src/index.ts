export * from './principal';
export * from './token-hash';
export * from './token-authenticator';
export * from './bearer-auth.guard';
export * from './admin-token';
export * from './token-events';
export * from './team-token-projection';
export * from './team-tokens.module';
