import { DynamicModule, Module } from '@nestjs/common';
import { SERVICE_CONSUMER_GROUP, SERVICE_DATA_SOURCE, unitOfWorkOf } from '@sluice/event-store';
import { oidcSettingsOf, TeamTokensModule } from '@sluice/auth';
import { clusterSourceOf, KubeClient, loadKubeConfig, type KubeCredentialsLike } from '@sluice/kube';
import { ConfigError, createLogger } from '@sluice/platform';
import { githubScmFromSettings, sharedScmClients } from '@sluice/scm';
import { TeamPoliciesModule, teamPoliciesReplayController } from '@sluice/team-policy';
import { SPEC_SOURCE, type SpecSource } from './application/ports';
import { ManifestsController } from './adapters/manifests.controller';
import { KubeApplierAdminController } from './adapters/admin.controller';
import { gitOpsPortOf } from './adapters/gitops-target';
import { KUBE_APPLIER_OPTIONS, KubeApplierEventsConsumer, KubeApplierRuntime, type KubeApplierRuntimeOptions } from './adapters/runtime';
import { CachingSpecSource, ProviderSpecSource } from './adapters/spec-sources';
import { ScmSpecSource } from './adapters/scm-spec-source';
import type { KubeApplierConfig } from './kube-applier.config';
import { PgTestRunStore, TEST_POOL_SIZE, TEST_RUN_STORE, TestRunsController } from '@sluice/test-runs';
import type { DataSource } from 'typeorm';
import { KUBE_APPLIER_SCHEMA } from './adapters/migrations';
import { RegistryImageCheck } from './adapters/registry-image-check';
import { RenderTools } from './adapters/render-tools';

export interface KubeApplierModuleOptions {
  /** Reads specs at a commit (the SCM client). Cached by (repo, sha, path). */
  specSource?: SpecSource;
  /** Overrides the cluster credentials from the config (tests: a service-account token). */
  kubeConfig?: KubeCredentialsLike;
  /** Overrides the client altogether (tests: one behind a proxy or injecting faults). */
  kubeClient?: KubeClient;
  /** Consumer group; default `kube-applier`. */
  consumerGroup?: string;
  /** Reconcile one namespace only (tests); default `KUBE_APPLIER_WATCH_NAMESPACE`, else all. */
  watchNamespace?: string;
}

/**
 * The root module of kube-applier. Needs `EventStoreModule.forRoot({ schema:
 * KUBE_APPLIER_SCHEMA, migrations: kubeApplierMigrations })` and `MessagingModule` beside it.
 */
@Module({})
export class KubeApplierModule {
  static forRoot(config: KubeApplierConfig, options: KubeApplierModuleOptions = {}): DynamicModule {
    const kubeConfig = options.kubeClient ? undefined : (options.kubeConfig ?? resolveKubeConfig(config));
    const runtime: KubeApplierRuntimeOptions = {
      kube: options.kubeClient ?? (kubeConfig ? new KubeClient(kubeConfig, { logger: createLogger('kube'), userAgent: 'sluice-kube-applier' }) : null),
      consumerGroup: options.consumerGroup ?? 'kube-applier',
      progressDeadlineMs: config.KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS * 1000,
      resyncMs: config.KUBE_APPLIER_RESYNC_SECONDS * 1000,
      healthPollMs: config.KUBE_APPLIER_HEALTH_POLL_SECONDS * 1000,
      concurrency: config.KUBE_APPLIER_CONCURRENCY,
      watchNamespace: options.watchNamespace ?? config.KUBE_APPLIER_WATCH_NAMESPACE,
      admission: admissionOf(config),
      gitopsPushWaitMs: config.KUBE_APPLIER_GITOPS_PUSH_WAIT_SECONDS * 1000,
      images: RegistryImageCheck.fromSettings(config),
      tools: RenderTools.fromSettings(config),
      testSlots: config.KUBE_APPLIER_TEST_SLOTS,
      testLeaseMs: config.KUBE_APPLIER_TEST_LEASE_SECONDS * 1000,
      leaderPollMs: config.SLUICE_LEADER_POLL_SECONDS * 1000,
      gitops: gitOpsPortOf(config, { pollMs: config.KUBE_APPLIER_HEALTH_POLL_SECONDS * 1000, timeoutMs: config.KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS * 1000 }),
    };
    return {
      module: KubeApplierModule,
      imports: [
        TeamTokensModule.forRoot({ service: 'kube-applier', adminToken: config.SLUICE_ADMIN_TOKEN, oidc: oidcSettingsOf(config) }),
        TeamPoliciesModule.forRoot({ sluiceNamespace: config.SLUICE_NAMESPACE }),
      ],
      controllers: [ManifestsController, KubeApplierAdminController, TestRunsController, teamPoliciesReplayController('kube-applier'), KubeApplierEventsConsumer],
      providers: [
        { provide: KUBE_APPLIER_OPTIONS, useValue: runtime },
        { provide: TEST_RUN_STORE, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new PgTestRunStore(unitOfWorkOf(ds), KUBE_APPLIER_SCHEMA) },
        { provide: TEST_POOL_SIZE, useValue: runtime.testSlots },
        { provide: SERVICE_CONSUMER_GROUP, useValue: runtime.consumerGroup },
        { provide: SPEC_SOURCE, useValue: new CachingSpecSource(options.specSource ?? scmSpecSource(config)) },
        KubeApplierRuntime,
      ],
      exports: [KubeApplierRuntime],
    };
  }
}

/** The cluster to apply to, or undefined for the dry-run target (docs/architecture.md §6, §9). */
export function resolveKubeConfig(config: KubeApplierConfig): KubeCredentialsLike | undefined {
  if (config.KUBE_APPLIER_TARGET === 'dry-run') return undefined;
  const source = clusterSourceOf(config);
  if (!source) {
    if (config.KUBE_APPLIER_TARGET === 'kube') {
      throw new ConfigError([{ variable: 'KUBECONFIG', message: 'required when KUBE_APPLIER_TARGET=kube (or run in a cluster)' }]);
    }
    return undefined;
  }
  try {
    return loadKubeConfig(source);
  } catch (err) {
    throw new ConfigError([{ variable: 'KUBECONFIG', message: (err as Error).message }]);
  }
}

/**
 * Each provider's reader from its settings — GitHub (token or App) from the common ones, GitLab
 * with GITLAB_TOKEN, Bitbucket Cloud with BITBUCKET_TOKEN — from the process's client registry
 * (one rate budget per set of credentials, shared with the other services of an all-in-one); a
 * deploy whose config repository's provider has no credentials fails, naming the setting.
 */
export function scmSpecSource(config: KubeApplierConfig): SpecSource {
  const github = githubScmFromSettings(config, createLogger('github'));
  const clients = sharedScmClients();
  return new ProviderSpecSource({
    ...(github ? { github: new ScmSpecSource(github) } : {}),
    ...(config.GITLAB_TOKEN ? { gitlab: new ScmSpecSource(clients.gitlabScm(config.GITLAB_API_URL, config.GITLAB_TOKEN)) } : {}),
    ...(config.BITBUCKET_TOKEN ? { bitbucket: new ScmSpecSource(clients.bitbucketScm(config.BITBUCKET_API_URL, config.BITBUCKET_TOKEN)) } : {}),
  });
}

/** The BuildRun admission webhook's serving settings, or undefined when not configured. */
function admissionOf(config: KubeApplierConfig): KubeApplierRuntimeOptions['admission'] {
  const cert = config.SLUICE_ADMISSION_TLS_CERT_FILE;
  const key = config.SLUICE_ADMISSION_TLS_KEY_FILE;
  if (!cert && !key) return undefined;
  if (!cert || !key) {
    const missing = cert ? 'SLUICE_ADMISSION_TLS_KEY_FILE' : 'SLUICE_ADMISSION_TLS_CERT_FILE';
    throw new ConfigError([{ variable: missing, message: 'the admission webhook needs both the certificate and the key file' }]);
  }
  return { certFile: cert, keyFile: key, port: config.SLUICE_ADMISSION_PORT };
}
