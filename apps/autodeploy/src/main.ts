import { serviceBootstrap } from '@sluice/event-store';
import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { autodeployService } from '@sluice/autodeploy';

bootstrapService(serviceBootstrap(autodeployService)).catch(exitOnBootFailure);
