export * from './config';
export * from './logging';
export * from './health';
export * from './http';
export * from './bootstrap';
export * from './periodic-task';
