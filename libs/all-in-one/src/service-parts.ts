import { autodeployService } from '@sluice/autodeploy';
import { commitStatusService } from '@sluice/commit-status';
import type { SluiceService } from '@sluice/event-store';
import { kubeApplierService } from '@sluice/kube-applier';
import { repoSyncService } from '@sluice/repo-sync';
import { webhookIngestService } from '@sluice/webhook-ingest';
import type { ResolvedConfig } from './all-in-one.config';

/**
 * The services the all-in-one runs, each its own Nest application on the shared database and bus,
 * from the same definition its own process uses (`serviceBootstrap`). Started in this order;
 * which one answers a request comes from their routes (`all-in-one.ts`).
 */
export const SERVICE_PARTS = [webhookIngestService, kubeApplierService, repoSyncService, commitStatusService, autodeployService] as unknown as ReadonlyArray<SluiceService<ResolvedConfig>>;
export type ServicePart = SluiceService<ResolvedConfig>;
