export * from './types';
export * from './errors';
export * from './retry';
export * from './kube-config';
export * from './client';
export * from './apply';
export * from './watch';
