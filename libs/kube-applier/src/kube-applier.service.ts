import type { SluiceService } from '@sluice/event-store';
import { KUBE_APPLIER_OPENAPI } from './adapters/manifests.controller';
import { KUBE_APPLIER_SCHEMA, kubeApplierMigrations } from './adapters/migrations';
import { KubeApplierModule } from './kube-applier.module';
import { kubeApplierConfigSchema, type KubeApplierConfig } from './kube-applier.config';

/** kube-applier, defined once: its \`main.ts\` runs it with \`serviceBootstrap\`, the all-in-one beside the others. */
export const kubeApplierService: SluiceService<KubeApplierConfig> = {
  name: 'kube-applier',
  configSchema: kubeApplierConfigSchema,
  databaseSchema: KUBE_APPLIER_SCHEMA,
  migrations: kubeApplierMigrations,
  module: (config) => KubeApplierModule.forRoot(config),
  openApi: KUBE_APPLIER_OPENAPI,
};
