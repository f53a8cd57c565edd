export * from './correlation';
export * from './redact';
export * from './logger';
export * from './logging.module';
