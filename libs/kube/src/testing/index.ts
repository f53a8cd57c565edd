/** Test-only helpers (`@sluice/kube/testing`): never import from product code. */
export * from './env';
export * from './etcd';
export * from './tcp-proxy';
export * from './rbac';
