import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { commitStatusConfigSchema, CommitStatusConfig, CommitStatusModule } from '@sluice/commit-status';

bootstrapService<CommitStatusConfig>({
  name: 'commit-status',
  schema: commitStatusConfigSchema,
  module: (config) => CommitStatusModule.forRoot(config),
}).catch(exitOnBootFailure);
