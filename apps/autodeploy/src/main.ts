import { startSluiceConsumers } from '@sluice/event-store';
import { bootstrapService, exitOnBootFailure, setupOpenApi } from '@sluice/platform';
import { AUTODEPLOY_OPENAPI, autodeployConfigSchema, AutodeployConfig, autodeployServiceModule } from '@sluice/autodeploy';

bootstrapService<AutodeployConfig>({
  name: 'autodeploy',
  schema: autodeployConfigSchema,
  module: (config) => autodeployServiceModule(config),
  configure: (app) => setupOpenApi(app, AUTODEPLOY_OPENAPI),
  start: startSluiceConsumers,
}).catch(exitOnBootFailure);
