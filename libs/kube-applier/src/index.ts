export * from './kube-applier.config';
export * from './kube-applier.module';
