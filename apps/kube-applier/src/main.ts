import { EventStoreModule, startSluiceConsumers } from '@sluice/event-store';
import { MessagingModule } from '@sluice/messaging';
import { bootstrapService, ConfigError, exitOnBootFailure, setupOpenApi } from '@sluice/platform';
import {
  KUBE_APPLIER_OPENAPI,
  KUBE_APPLIER_SCHEMA,
  kubeApplierConfigSchema,
  KubeApplierConfig,
  kubeApplierMigrations,
  KubeApplierModule,
} from '@sluice/kube-applier';

bootstrapService<KubeApplierConfig>({
  name: 'kube-applier',
  schema: kubeApplierConfigSchema,
  module: (config) => {
    if (!config.DATABASE_URL) throw new ConfigError([{ variable: 'DATABASE_URL', message: 'required by kube-applier' }]);
    return {
      module: class KubeApplierApp {},
      imports: [
        MessagingModule.forRoot({ brokers: config.KAFKA_BROKERS, clientId: 'kube-applier', topicPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX, groupPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX }),
        EventStoreModule.forRoot({ url: config.DATABASE_URL, schema: KUBE_APPLIER_SCHEMA, migrations: kubeApplierMigrations }),
        KubeApplierModule.forRoot(config),
      ],
    };
  },
  configure: (app) => setupOpenApi(app, KUBE_APPLIER_OPENAPI),
  start: startSluiceConsumers,
}).catch(exitOnBootFailure);
