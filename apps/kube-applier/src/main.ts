import { serviceBootstrap } from '@sluice/event-store';
import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { kubeApplierService } from '@sluice/kube-applier';

bootstrapService(serviceBootstrap(kubeApplierService)).catch(exitOnBootFailure);
