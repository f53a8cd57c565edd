export * from './errors';
export * from './error.filter';
export * from './validation';
export * from './openapi';
