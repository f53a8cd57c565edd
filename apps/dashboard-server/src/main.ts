import { dashboardServer } from '@sluice/dashboard-server';
import { bootstrapService, exitOnBootFailure } from '@sluice/platform';

bootstrapService(dashboardServer()).catch(exitOnBootFailure);
