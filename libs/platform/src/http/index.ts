export * from './errors';
export * from './error.filter';
export * from './validation';
export * from './openapi';
export * from './routes';
export * from './json-body.interceptor';
