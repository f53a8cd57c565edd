export * from './principal';
export * from './token-hash';
export * from './token-authenticator';
export * from './bearer-auth.guard';
export * from './admin-token';
