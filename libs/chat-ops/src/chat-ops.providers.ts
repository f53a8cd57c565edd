import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy, type Provider, type Type } from '@nestjs/common';
import { SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { scmReaderFromSettings, type GitHubSettings } from '@sluice/scm';
import type { DataSource } from 'typeorm';
import { DeployMessageSync } from './application/deploy-message-sync';
import type { ChatCatalogue, ChatDeploys, ChatMessenger, ChatPullRequests, DeployMessages } from './application/ports';
import { SlackCommands } from './application/slack-commands';
import { ChatDeployEventsConsumer, DEPLOY_MESSAGE_SYNC, DEPLOY_MESSAGES } from './adapters/deploy-events.consumer';
import { PgDeployMessages } from './adapters/pg-deploy-messages';
import { SLACK_APP, SLACK_COMMANDS, SlackController } from './adapters/slack.controller';
import { SlackWebApiMessenger } from './adapters/slack-web-api';
import { slackAppOf, type ChatOpsSettings, type SlackAppSettings } from './chat-ops.settings';

/** What the hosting service provides: its catalogue and deploy service, seen through chat-ops' ports. */
export const CHAT_CATALOGUE = Symbol('CHAT_CATALOGUE');
export const CHAT_DEPLOYS = Symbol('CHAT_DEPLOYS');
const CHAT_MESSENGER = Symbol('CHAT_MESSENGER');
const CHAT_PULL_REQUESTS = Symbol('CHAT_PULL_REQUESTS');

/** How often messages Slack missed (an outage, a rate limit) are brought up to date. */
const SWEEP_INTERVAL_MS = 5_000;

@Injectable()
class ChatOpsRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(DEPLOY_MESSAGE_SYNC) private readonly sync: DeployMessageSync | null) {}
  onApplicationBootstrap(): void {
    this.sync?.start(SWEEP_INTERVAL_MS);
  }
  async onModuleDestroy(): Promise<void> {
    await this.sync?.stop();
  }
}

/**
 * Chat-ops inside the service that hosts it (autodeploy, which owns the deploy service): its routes,
 * its consumer and its providers, to spread into the host's module next to providers of
 * `CHAT_CATALOGUE` and `CHAT_DEPLOYS`. Add `chatOpsMigrations` to the host's migrations and host it
 * with `rawBody: true`. With Slack not configured the routes answer 404 and nothing else runs.
 */
export function chatOpsParts(settings: Partial<ChatOpsSettings> & GitHubSettings, schema: string): { controllers: Type[]; providers: Provider[] } {
  const app = slackAppOf(settings);
  const link = (deployId: string) => (app?.publicUrl ? `${app.publicUrl}/api/deploys/${deployId}` : null);
  return {
    controllers: app ? [SlackController, ChatDeployEventsConsumer] : [SlackController],
    providers: [
      { provide: SLACK_APP, useValue: app },
      { provide: DEPLOY_MESSAGES, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new PgDeployMessages(ds, schema) },
      { provide: CHAT_MESSENGER, useFactory: () => (app ? new SlackWebApiMessenger(app.botToken, app.apiUrl) : null) },
      {
        provide: CHAT_PULL_REQUESTS,
        useFactory: (): ChatPullRequests => {
          const scm = scmReaderFromSettings(settings);
          return { get: (repo, number) => scm.getPullRequest(repo, number) };
        },
      },
      {
        provide: DEPLOY_MESSAGE_SYNC,
        inject: [DEPLOY_MESSAGES, CHAT_MESSENGER],
        useFactory: (messages: DeployMessages, messenger: ChatMessenger | null) => (messenger ? new DeployMessageSync(messages, messenger, link) : null),
      },
      {
        provide: SLACK_COMMANDS,
        inject: [CHAT_CATALOGUE, CHAT_DEPLOYS, CHAT_PULL_REQUESTS, CHAT_MESSENGER, DEPLOY_MESSAGES, DEPLOY_MESSAGE_SYNC],
        useFactory: (catalogue: ChatCatalogue, deploys: ChatDeploys, pulls: ChatPullRequests, messenger: ChatMessenger | null, messages: DeployMessages, sync: DeployMessageSync | null) =>
          app && messenger && sync ? new SlackCommands(catalogue, deploys, pulls, messenger, messages, sync, (app as SlackAppSettings).userTeams) : null,
      },
      ChatOpsRuntime,
    ],
  };
}
