import { serviceBootstrap } from '@sluice/event-store';
import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { commitStatusService } from '@sluice/commit-status';

bootstrapService(serviceBootstrap(commitStatusService)).catch(exitOnBootFailure);
