import { serviceBootstrap } from '@sluice/event-store';
import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { repoSyncService } from '@sluice/repo-sync';

bootstrapService(serviceBootstrap(repoSyncService)).catch(exitOnBootFailure);
