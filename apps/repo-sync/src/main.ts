import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { repoSyncConfigSchema, RepoSyncConfig, RepoSyncModule } from '@sluice/repo-sync';

bootstrapService<RepoSyncConfig>({
  name: 'repo-sync',
  schema: repoSyncConfigSchema,
  module: (config) => RepoSyncModule.forRoot(config),
}).catch(exitOnBootFailure);
