import { z } from 'zod';
import * as auth from './events/auth';
import * as deploy from './events/deploy';
import * as repo from './events/repo';
import * as scm from './events/scm';
import * as status from './events/status';
import { withGithubRepo } from './events/common';
import { Topics, type Topic } from './topics';

/**
 * Every event type Sluice publishes: its topic, each published version's schema and the
 * upcasters that lift version n to n+1. A published version is never edited.
 */
const defineEvent = <
  const TTopic extends Topic,
  const TSchemas extends readonly [z.ZodType, ...z.ZodType[]],
>(definition: {
  topic: TTopic;
  /** Index 0 is version 1. */
  versions: TSchemas;
  /** upcasters[i] lifts version i+1 to i+2 (data already validated against version i+1). */
  upcasters?: ReadonlyArray<(data: never) => unknown>;
}) => definition;

export const eventDefinitions = {
  'scm.push.received': defineEvent({ topic: Topics.scm, versions: [scm.pushReceivedV1, scm.pushReceivedV2], upcasters: [withGithubRepo] }),
  'scm.build.started': defineEvent({
    topic: Topics.scm,
    versions: [scm.buildStartedV1, scm.buildStartedV2, scm.buildStartedV3],
    upcasters: [(v1: z.infer<typeof scm.buildStartedV1>) => ({ ...v1, run: scm.unorderedRun('in_progress') }), withGithubRepo],
  }),
  'scm.build.completed': defineEvent({
    topic: Topics.scm,
    versions: [scm.buildCompletedV1, scm.buildCompletedV2, scm.buildCompletedV3, scm.buildCompletedV4],
    upcasters: [
      (v1: z.infer<typeof scm.buildCompletedV1>) => ({ ...v1, url: null }),
      (v2: z.infer<typeof scm.buildCompletedV2>) => ({ ...v2, run: scm.unorderedRun('completed') }),
      withGithubRepo,
    ],
  }),
  'scm.pull-request.changed': defineEvent({ topic: Topics.scm, versions: [scm.pullRequestChangedV1, scm.pullRequestChangedV2], upcasters: [withGithubRepo] }),
  'scm.ref.created': defineEvent({ topic: Topics.scm, versions: [scm.refChangedV1, scm.refChangedV2], upcasters: [withGithubRepo] }),
  'scm.ref.deleted': defineEvent({ topic: Topics.scm, versions: [scm.refChangedV1, scm.refChangedV2], upcasters: [withGithubRepo] }),
  'scm.repository.renamed': defineEvent({ topic: Topics.scm, versions: [scm.repositoryRenamedV1] }),

  'repo.upserted': defineEvent({ topic: Topics.repo, versions: [repo.repoUpsertedV1, repo.repoUpsertedV2], upcasters: [withGithubRepo] }),
  'repo.renamed': defineEvent({ topic: Topics.repo, versions: [repo.repoRenamedV1] }),
  'repo.branch.updated': defineEvent({
    topic: Topics.repo,
    versions: [repo.branchUpdatedV1, repo.branchUpdatedV2],
    upcasters: [(v1: z.infer<typeof repo.branchUpdatedV1>) => ({ ...v1, forced: false })],
  }),
  'repo.branch.push-ignored': defineEvent({ topic: Topics.repo, versions: [repo.branchPushIgnoredV1] }),
  'repo.branch.deleted': defineEvent({ topic: Topics.repo, versions: [repo.branchDeletedV1] }),
  'repo.build.recorded': defineEvent({ topic: Topics.repo, versions: [repo.buildRecordedV1] }),
  'repo.build.observed': defineEvent({ topic: Topics.repo, versions: [repo.buildObservedV1] }),
  'repo.commits.recorded': defineEvent({ topic: Topics.repo, versions: [repo.commitsRecordedV1] }),
  'repo.build.stale-ignored': defineEvent({ topic: Topics.repo, versions: [repo.buildStaleIgnoredV1] }),
  'repo.config.discovered': defineEvent({ topic: Topics.repo, versions: [repo.configDiscoveredV1] }),
  'repo.config.changed': defineEvent({ topic: Topics.repo, versions: [repo.configChangedV1] }),
  'repo.config.removed': defineEvent({ topic: Topics.repo, versions: [repo.configRemovedV1] }),
  'repo.config.invalid': defineEvent({ topic: Topics.repo, versions: [repo.configInvalidV1] }),
  'repo.configs.scanned': defineEvent({ topic: Topics.repo, versions: [repo.configsScannedV1] }),
  'repo.tag.pushed': defineEvent({ topic: Topics.repo, versions: [repo.tagPushedV1] }),

  'config.registered': defineEvent({ topic: Topics.deploy, versions: [deploy.configRegisteredV1] }),
  'config.removed': defineEvent({ topic: Topics.deploy, versions: [deploy.configRemovedFromRepoV1] }),
  'config.pinned': defineEvent({ topic: Topics.deploy, versions: [deploy.configPinnedV1] }),
  'config.unpinned': defineEvent({ topic: Topics.deploy, versions: [deploy.configUnpinnedV1] }),
  'deploy.requested': defineEvent({ topic: Topics.deploy, versions: [deploy.deployRequestedV1] }),
  'deploy.rejected': defineEvent({ topic: Topics.deploy, versions: [deploy.deployRequestRejectedV1] }),
  'deploy.skipped': defineEvent({ topic: Topics.deploy, versions: [deploy.deploySkippedV1] }),
  'deploy.queued': defineEvent({ topic: Topics.deploy, versions: [deploy.deployQueuedV1] }),
  'undeploy.requested': defineEvent({ topic: Topics.deploy, versions: [deploy.undeployRequestedV1] }),
  'deploy.superseded': defineEvent({ topic: Topics.deploy, versions: [deploy.deploySupersededV1] }),
  'deploy.started': defineEvent({ topic: Topics.deploy, versions: [deploy.deployStartedV1] }),
  'deploy.applied': defineEvent({ topic: Topics.deploy, versions: [deploy.deployAppliedV1] }),
  'deploy.step': defineEvent({ topic: Topics.deploy, versions: [deploy.deployStepV1] }),
  'deploy.log': defineEvent({ topic: Topics.deploy, versions: [deploy.deployLogV1] }),
  'deploy.succeeded': defineEvent({ topic: Topics.deploy, versions: [deploy.deploySucceededV1] }),
  'deploy.failed': defineEvent({ topic: Topics.deploy, versions: [deploy.deployFailedV1] }),
  'deploy.undeployed': defineEvent({ topic: Topics.deploy, versions: [deploy.undeployedV1] }),
  'build.requested': defineEvent({ topic: Topics.deploy, versions: [deploy.buildRequestedV1] }),
  'build.scheduled': defineEvent({ topic: Topics.deploy, versions: [deploy.buildScheduledV1] }),
  'build.started': defineEvent({ topic: Topics.deploy, versions: [deploy.buildStartedV1] }),
  'build.finished': defineEvent({ topic: Topics.deploy, versions: [deploy.buildFinishedV1] }),
  'gitops.drift.detected': defineEvent({ topic: Topics.deploy, versions: [deploy.gitOpsDriftDetectedV1] }),
  'preview.deployed': defineEvent({ topic: Topics.deploy, versions: [deploy.previewDeployedV1] }),
  'preview.released': defineEvent({ topic: Topics.deploy, versions: [deploy.previewReleasedV1] }),
  'preview.applied': defineEvent({ topic: Topics.deploy, versions: [deploy.previewAppliedV1] }),

  'commit-status.synced': defineEvent({ topic: Topics.status, versions: [status.commitStatusSyncedV1] }),

  'auth.token.issued': defineEvent({ topic: Topics.auth, versions: [auth.tokenIssuedV1] }),
  'auth.token.revoked': defineEvent({ topic: Topics.auth, versions: [auth.tokenRevokedV1] }),
  'team.policy.set': defineEvent({ topic: Topics.auth, versions: [auth.teamPolicySetV1] }),
  'team.policy.removed': defineEvent({ topic: Topics.auth, versions: [auth.teamPolicyRemovedV1] }),
} as const;

type Definitions = typeof eventDefinitions;
export type EventType = keyof Definitions;

type Last<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L : never;
type LatestSchema<K extends EventType> = Last<Definitions[K]['versions']>;

/** The payload of the latest version of an event type. */
export type EventData<K extends EventType> = z.infer<LatestSchema<K>>;

export const EVENT_TYPES = Object.keys(eventDefinitions) as EventType[];

export function latestVersion(type: EventType): number {
  return eventDefinitions[type].versions.length;
}

export function topicOf(type: EventType): Topic {
  return eventDefinitions[type].topic;
}

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(eventDefinitions, type);
}

/** The zod schema of one published version (1-based), for validation and JSON Schema generation. */
export function schemaOf(type: EventType, version: number): z.ZodType | undefined {
  return (eventDefinitions[type].versions as readonly z.ZodType[])[version - 1];
}
