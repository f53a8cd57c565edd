import type { MigrationInterface } from 'typeorm';
import { AUTODEPLOY_OPENAPI, AUTODEPLOY_SCHEMA, AutodeployModule, autodeployMigrations, autodeployTopicFor } from '@sluice/autodeploy';
import { COMMIT_STATUS_OPENAPI, COMMIT_STATUS_SCHEMA, CommitStatusModule, commitStatusMigrations } from '@sluice/commit-status';
import type { StoredEvent } from '@sluice/event-store';
import { KUBE_APPLIER_OPENAPI, KUBE_APPLIER_SCHEMA, KubeApplierModule, kubeApplierMigrations } from '@sluice/kube-applier';
import type { ModuleLike, OpenApiInfo } from '@sluice/platform';
import { REPO_SYNC_OPENAPI, REPO_SYNC_SCHEMA, RepoSyncModule, repoSyncMigrations } from '@sluice/repo-sync';
import { WEBHOOK_INGEST_OPENAPI, WEBHOOK_INGEST_SCHEMA, WebhookIngestModule, webhookIngestMigrations } from '@sluice/webhook-ingest';
import type { ResolvedConfig } from './all-in-one.config';

type MigrationClass = new () => MigrationInterface;

/** One service as the all-in-one app runs it: its own Nest application on a shared database and bus. */
export interface ServicePart {
  readonly name: string;
  readonly schema: string;
  readonly migrations: MigrationClass[];
  readonly relayTopicFor?: (event: StoredEvent) => string | null;
  readonly module: (config: ResolvedConfig) => ModuleLike;
  /** Request paths this service answers, tried in order across services. */
  readonly routes: readonly RegExp[];
  /** False: the service reads the raw body itself (webhook signatures). */
  readonly bodyParser?: boolean;
  /** Its OpenAPI document: merged with the other parts' into the one at `/api/docs-json`. */
  readonly openApi: OpenApiInfo;
}

export const SERVICE_PARTS: readonly ServicePart[] = [
  {
    name: 'webhook-ingest',
    schema: WEBHOOK_INGEST_SCHEMA,
    migrations: webhookIngestMigrations,
    module: (config) => WebhookIngestModule.forRoot(config),
    routes: [/^\/webhooks\//],
    bodyParser: false,
    openApi: WEBHOOK_INGEST_OPENAPI,
  },
  {
    name: 'kube-applier',
    schema: KUBE_APPLIER_SCHEMA,
    migrations: kubeApplierMigrations,
    module: (config) => KubeApplierModule.forRoot(config),
    routes: [/^\/api\/(deploys|configs)\/[^/]+\/manifests\/?(\?|$)/],
    openApi: KUBE_APPLIER_OPENAPI,
  },
  {
    name: 'repo-sync',
    schema: REPO_SYNC_SCHEMA,
    migrations: repoSyncMigrations,
    module: (config) => RepoSyncModule.forRoot(config),
    routes: [/^\/api\/repos(\/|\?|$)/, /^\/api\/admin\/sync(\/|\?|$)/],
    openApi: REPO_SYNC_OPENAPI,
  },
  {
    name: 'commit-status',
    schema: COMMIT_STATUS_SCHEMA,
    migrations: commitStatusMigrations,
    module: (config) => CommitStatusModule.forRoot(config),
    routes: [/^\/api\/commit-statuses(\/|\?|$)/],
    openApi: COMMIT_STATUS_OPENAPI,
  },
  {
    name: 'autodeploy',
    schema: AUTODEPLOY_SCHEMA,
    migrations: autodeployMigrations,
    relayTopicFor: autodeployTopicFor,
    module: (config) => AutodeployModule.forRoot(config),
    routes: [/^\/api\//],
    openApi: AUTODEPLOY_OPENAPI,
  },
];
