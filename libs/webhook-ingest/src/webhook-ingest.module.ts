import { DynamicModule, Module } from '@nestjs/common';
import { EventStore, SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import { githubScmFromSettings, sharedScmClients, webhookProviders, type HookRef, type ScmHookDeliveries } from '@sluice/scm';
import type { DataSource } from 'typeorm';
import { IngestDelivery } from './adapters/persistence/ingest-delivery';
import { RecoverMissedDeliveries } from './application/recover-missed-deliveries';
import { ResolveShortHashes, type ResolveShortHashesOptions } from './application/resolve-short-hashes';
import { PgDeliveryLedger } from './adapters/persistence/pg-delivery-ledger';
import { WebhookController, WEBHOOK_BODY_LIMIT, WEBHOOK_PROVIDERS } from './adapters/http/webhook.controller';
import { MAX_WEBHOOK_BYTES } from './adapters/http/raw-body';
import { DEFAULT_INFLIGHT_BYTES, DEFAULT_MAX_READERS, DEFAULT_RETRY_AFTER_SECONDS, UploadBudget, type UploadBudgetLimits } from './adapters/http/upload-budget';
import { ScmTopicBootstrap } from './adapters/messaging/topics.bootstrap';
import { RECOVERY_SETTINGS, RecoveryScheduler, type RecoverySettings } from './adapters/scm/recovery.scheduler';
import type { WebhookIngestConfig } from './webhook-ingest.config';

export interface WebhookIngestModuleOptions {
  /** Body cap; GitHub's own limit by default. */
  readonly bodyLimitBytes?: number;
  /** Bound on unverified webhook bodies; default: from the config (SLUICE_WEBHOOK_INFLIGHT_BYTES, SLUICE_WEBHOOK_MAX_CONCURRENT). */
  readonly uploadBudget?: Partial<UploadBudgetLimits>;
  /** Missed-webhook recovery settings; default: from the config (off without credentials or hook). */
  readonly recovery?: { readonly hooks: ScmHookDeliveries; readonly hook: HookRef; readonly intervalMs: number; readonly lookbackMs?: number };
  /** The lookup of Bitbucket pull requests' abbreviated hashes (deadline, Retry-After); the reader is from the config. */
  readonly shortHashes?: Omit<ResolveShortHashesOptions, 'logger'>;
}

type RecoveryConfig = Partial<
  Pick<
    WebhookIngestConfig,
    | 'GITHUB_API_URL'
    | 'GITHUB_TOKEN'
    | 'GITHUB_APP_ID'
    | 'GITHUB_APP_PRIVATE_KEY'
    | 'GITHUB_WEBHOOK_HOOK_ID'
    | 'GITHUB_WEBHOOK_HOOK_REPO'
    | 'WEBHOOK_RECOVERY_INTERVAL_SECONDS'
    | 'WEBHOOK_RECOVERY_LOOKBACK_HOURS'
  >
>;

function recoveryFromConfig(config: RecoveryConfig, options: WebhookIngestModuleOptions) {
  if (options.recovery) return options.recovery;
  const log = createLogger('webhook-recovery');
  const scm = config.GITHUB_API_URL ? githubScmFromSettings({ ...config, GITHUB_API_URL: config.GITHUB_API_URL }, log) : null;
  if (!scm) return null;
  let hook: HookRef | null = null;
  if (config.GITHUB_WEBHOOK_HOOK_REPO && config.GITHUB_WEBHOOK_HOOK_ID) {
    hook = { kind: 'repo', repo: config.GITHUB_WEBHOOK_HOOK_REPO, hookId: config.GITHUB_WEBHOOK_HOOK_ID };
  } else if (!config.GITHUB_WEBHOOK_HOOK_REPO && config.GITHUB_APP_ID) {
    hook = { kind: 'app' };
  }
  if (!hook) return null;
  return {
    hooks: scm,
    hook,
    intervalMs: (config.WEBHOOK_RECOVERY_INTERVAL_SECONDS ?? 300) * 1000,
    lookbackMs: (config.WEBHOOK_RECOVERY_LOOKBACK_HOURS ?? 24) * 3600_000,
  };
}

/**
 * The root module of webhook-ingest. Needs `EventStoreModule.forRoot({ schema:
 * WEBHOOK_INGEST_SCHEMA, migrations: webhookIngestMigrations })` (whose relay publishes
 * to `sluice.scm.v1`) and `MessagingModule` next to it.
 */
@Module({})
export class WebhookIngestModule {
  static forRoot(
    config: Pick<WebhookIngestConfig, 'GITHUB_WEBHOOK_SECRET'> &
      RecoveryConfig &
      Partial<
        Pick<
          WebhookIngestConfig,
          'GITLAB_WEBHOOK_TOKEN' | 'BITBUCKET_WEBHOOK_SECRET' | 'BITBUCKET_API_URL' | 'BITBUCKET_TOKEN' | 'SLUICE_WEBHOOK_INFLIGHT_BYTES' | 'SLUICE_WEBHOOK_MAX_CONCURRENT' | 'WEBHOOK_INGEST_GROUP_COMMIT_MAX'
        >
      >,
    options: WebhookIngestModuleOptions = {},
  ): DynamicModule {
    const recovery = recoveryFromConfig(config, options);
    const bodyLimit = options.bodyLimitBytes ?? MAX_WEBHOOK_BYTES;
    const limits: UploadBudgetLimits = {
      maxBytes: options.uploadBudget?.maxBytes ?? config.SLUICE_WEBHOOK_INFLIGHT_BYTES ?? DEFAULT_INFLIGHT_BYTES,
      maxReaders: options.uploadBudget?.maxReaders ?? config.SLUICE_WEBHOOK_MAX_CONCURRENT ?? DEFAULT_MAX_READERS,
      retryAfterSeconds: options.uploadBudget?.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    };
    // A budget smaller than one allowed body would refuse that body forever, Retry-After or not.
    if (limits.maxBytes < bodyLimit) throw new Error(`WebhookIngestModule: the upload budget (${limits.maxBytes} bytes) is below the body limit (${bodyLimit})`);
    return {
      module: WebhookIngestModule,
      controllers: [WebhookController],
      providers: [
        {
          provide: WEBHOOK_PROVIDERS,
          useValue: webhookProviders({ github: config.GITHUB_WEBHOOK_SECRET, gitlab: config.GITLAB_WEBHOOK_TOKEN, bitbucket: config.BITBUCKET_WEBHOOK_SECRET }),
        },
        { provide: WEBHOOK_BODY_LIMIT, useValue: bodyLimit },
        {
          // Bitbucket's reader on the process's shared clients (one rate budget with repo-sync and commit-status in an all-in-one).
          provide: ResolveShortHashes,
          useFactory: () =>
            new ResolveShortHashes(config.BITBUCKET_TOKEN ? sharedScmClients().bitbucketScm(config.BITBUCKET_API_URL ?? 'https://api.bitbucket.org/2.0', config.BITBUCKET_TOKEN) : null, {
              ...options.shortHashes,
              logger: createLogger('webhook-ingest'),
            }),
        },
        // One per app: the bound is on what this process holds.
        { provide: UploadBudget, useValue: new UploadBudget(limits) },
        {
          provide: IngestDelivery,
          inject: [SERVICE_DATA_SOURCE, EventStore],
          useFactory: (dataSource: DataSource, store: EventStore) => new IngestDelivery(dataSource, store, { maxBatch: config.WEBHOOK_INGEST_GROUP_COMMIT_MAX }),
        },
        {
          provide: RECOVERY_SETTINGS,
          inject: [SERVICE_DATA_SOURCE],
          useFactory: (dataSource: DataSource): RecoverySettings => ({
            recovery: recovery
              ? new RecoverMissedDeliveries(new PgDeliveryLedger(dataSource), recovery.hooks, {
                  hook: recovery.hook,
                  lookbackMs: recovery.lookbackMs,
                  logger: createLogger('webhook-recovery'),
                })
              : null,
            intervalMs: recovery?.intervalMs ?? 0,
          }),
        },
        RecoveryScheduler,
        ScmTopicBootstrap,
      ],
      exports: [RecoveryScheduler],
    };
  }
}
