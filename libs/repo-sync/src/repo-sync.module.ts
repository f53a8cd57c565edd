import { DynamicModule, Module } from '@nestjs/common';
import { CATALOGUE_VISIBILITY, oidcSettingsOf, TeamTokensModule, type OidcConfigKey, type CatalogueVisibility } from '@sluice/auth';
import { TeamPoliciesModule, teamPoliciesReplayController } from '@sluice/team-policy';
import { EventStore, SERVICE_CONSUMER_GROUP, SERVICE_DATA_SOURCE, unitOfWorkOf } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { ScmReader } from '@sluice/scm';
import type { DataSource } from 'typeorm';
import { ApplyScmEvent } from './application/apply-scm-event';
import { CATALOGUE, type Catalogue } from './application/catalogue';
import { PgCatalogue } from './adapters/persistence/pg-catalogue';
import { ConfigReader, readersOf, type ScmReaderFor } from './application/config-reader';
import { GlobalSync } from './application/global-sync';
import { RepoPoller, type RepoPolls } from './application/repo-poller';
import { PgRepoPolls } from './adapters/persistence/pg-repo-polls';
import { ReposController, SyncController } from './adapters/http/repos.controller';
import { CatalogueReplayController } from './adapters/http/replay.controller';
import { CatalogueReplay } from './adapters/persistence/catalogue-replay';
import { REPO_SYNC_CONSUMER, RepoSyncRuntime, ScmEventsConsumer } from './adapters/messaging/repo-sync.runtime';
import { CatalogueQueries } from './adapters/persistence/catalogue-queries';
import { PgSyncRuns } from './adapters/persistence/pg-sync-runs';
import { providerReadersFromConfig, scmFromConfig } from './adapters/scm/scm-from-config';
import { DEFAULT_REPO_SYNC_CONCURRENCY, type RepoSyncConfig } from './repo-sync.config';

export const SCM_READER = Symbol('SCM_READER');
/** The reader of each provider's repositories (`ScmReaderFor`). */
const SCM_READERS = Symbol('SCM_READERS');
const REPO_POLLS = Symbol('REPO_POLLS');

export type RepoSyncModuleConfig = Pick<
  RepoSyncConfig,
  'GITHUB_API_URL' | 'GITHUB_TOKEN' | 'GITHUB_APP_ID' | 'GITHUB_APP_PRIVATE_KEY' | 'SLUICE_ADMIN_TOKEN'
> &
  Partial<Pick<RepoSyncConfig, 'GITLAB_API_URL' | 'GITLAB_TOKEN' | 'BITBUCKET_API_URL' | 'BITBUCKET_TOKEN'>> &
  Partial<Pick<RepoSyncConfig, OidcConfigKey>> & { readonly REPO_SYNC_CONCURRENCY?: number; readonly REPO_SYNC_POLL_SECONDS?: number; readonly SLUICE_CATALOGUE_VISIBILITY?: CatalogueVisibility; readonly SLUICE_NAMESPACE?: string };

export interface RepoSyncModuleOptions {
  /** The SCM to read; default: GitHub from the config's credentials. */
  readonly scm?: ScmReader;
  /** The readers of other providers' repositories; default: from the config's credentials (GITLAB_TOKEN, BITBUCKET_TOKEN). */
  readonly readers?: { readonly gitlab?: ScmReader; readonly bitbucket?: ScmReader };
}

/**
 * The root module of repo-sync. Needs `EventStoreModule.forRoot({ schema: REPO_SYNC_SCHEMA,
 * migrations: repoSyncMigrations })` and `MessagingModule` next to it.
 */
@Module({})
export class RepoSyncModule {
  static forRoot(config: RepoSyncModuleConfig, options: RepoSyncModuleOptions = {}): DynamicModule {
    const logger = createLogger('repo-sync');
    return {
      module: RepoSyncModule,
      imports: [
        TeamTokensModule.forRoot({ service: 'repo-sync', adminToken: config.SLUICE_ADMIN_TOKEN, oidc: oidcSettingsOf(config) }),
        TeamPoliciesModule.forRoot({ sluiceNamespace: config.SLUICE_NAMESPACE ?? 'sluice-system' }),
      ],
      controllers: [ReposController, SyncController, CatalogueReplayController, teamPoliciesReplayController('repo-sync'), ScmEventsConsumer],
      providers: [
        { provide: SERVICE_CONSUMER_GROUP, useValue: REPO_SYNC_CONSUMER },
        { provide: SCM_READER, useFactory: () => options.scm ?? scmFromConfig(config, logger) },
        { provide: CATALOGUE, inject: [EventStore], useFactory: (store: EventStore) => new PgCatalogue(store) },
        { provide: SCM_READERS, inject: [SCM_READER], useFactory: (scm: ScmReader) => readersOf(scm, options.readers ?? providerReadersFromConfig(config)) },
        { provide: ConfigReader, inject: [SCM_READERS], useFactory: (readers: ScmReaderFor) => new ConfigReader(readers) },
        { provide: REPO_POLLS, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new PgRepoPolls(ds) },
        {
          provide: ApplyScmEvent,
          inject: [CATALOGUE, ConfigReader, SCM_READERS, SERVICE_DATA_SOURCE, REPO_POLLS],
          useFactory: (catalogue: Catalogue, reader: ConfigReader, readers: ScmReaderFor, ds: DataSource, polls: RepoPolls) => new ApplyScmEvent(catalogue, reader, readers, unitOfWorkOf(ds), polls),
        },
        {
          provide: RepoPoller,
          inject: [REPO_POLLS, SCM_READER, GlobalSync, SCM_READERS],
          useFactory: (polls: RepoPolls, scm: ScmReader, sync: GlobalSync, readers: ScmReaderFor) => {
            const seconds = config.REPO_SYNC_POLL_SECONDS ?? 180;
            return seconds > 0 ? new RepoPoller(polls, scm, sync, { intervalMs: seconds * 1000, logger, readers }) : null;
          },
        },
        {
          provide: GlobalSync,
          inject: [SERVICE_DATA_SOURCE, CATALOGUE, ConfigReader, SCM_READER],
          useFactory: (ds: DataSource, catalogue: Catalogue, reader: ConfigReader, scm: ScmReader) =>
            new GlobalSync(unitOfWorkOf(ds), catalogue, new PgSyncRuns(ds), reader, scm, { concurrency: config.REPO_SYNC_CONCURRENCY ?? DEFAULT_REPO_SYNC_CONCURRENCY, logger }),
        },
        { provide: CATALOGUE_VISIBILITY, useValue: config.SLUICE_CATALOGUE_VISIBILITY ?? 'team' },
        { provide: CatalogueQueries, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new CatalogueQueries(ds) },
        { provide: CatalogueReplay, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new CatalogueReplay(ds) },
        RepoSyncRuntime,
      ],
      exports: [GlobalSync, CATALOGUE],
    };
  }
}
