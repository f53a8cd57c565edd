import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { autodeployConfigSchema, AutodeployConfig, AutodeployModule } from '@sluice/autodeploy';

bootstrapService<AutodeployConfig>({
  name: 'autodeploy',
  schema: autodeployConfigSchema,
  module: (config) => AutodeployModule.forRoot(config),
}).catch(exitOnBootFailure);
