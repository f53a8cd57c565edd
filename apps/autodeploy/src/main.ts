import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { autodeployConfigSchema, AutodeployConfig, autodeployServiceModule, setupOpenApi } from '@sluice/autodeploy';

bootstrapService<AutodeployConfig>({
  name: 'autodeploy',
  schema: autodeployConfigSchema,
  module: (config) => autodeployServiceModule(config),
  configure: (app) => setupOpenApi(app, 'Sluice autodeploy'),
}).catch(exitOnBootFailure);
