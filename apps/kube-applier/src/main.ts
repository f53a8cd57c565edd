import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { kubeApplierConfigSchema, KubeApplierConfig, KubeApplierModule } from '@sluice/kube-applier';

bootstrapService<KubeApplierConfig>({
  name: 'kube-applier',
  schema: kubeApplierConfigSchema,
  module: (config) => KubeApplierModule.forRoot(config),
}).catch(exitOnBootFailure);
