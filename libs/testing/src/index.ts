export * from './env';
export * from './names';
export * from './database';
export * from './wait';
export * from './kafka-node';
export * from './openapi';
export * from './ports';
export * from './oidc-provider';
