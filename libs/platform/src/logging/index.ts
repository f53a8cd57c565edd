export * from './correlation';
export * from './redact';
export * from './logger';
export * from './request-context';
export * from './nest-logger';
