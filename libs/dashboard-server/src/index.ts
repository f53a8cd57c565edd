export * from './dashboard';
export * from './settings';
export * from './api-proxy';
export * from './dashboard-server';
