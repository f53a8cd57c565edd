import { CONFIG_STREAM_PREFIX, type EventData, type EventType } from '@sluice/contracts';

/** The event types of one config's stream (`config-<name>`): decisions and recorded outcomes. */
export const CONFIG_EVENT_TYPES = [
  'config.registered',
  'config.removed',
  'config.pinned',
  'config.unpinned',
  'deploy.queued',
  'deploy.requested',
  'undeploy.requested',
  'deploy.superseded',
  'deploy.rejected',
  'deploy.skipped',
  'deploy.started',
  'deploy.step',
  'deploy.log',
  'deploy.applied',
  'deploy.succeeded',
  'deploy.failed',
  'deploy.undeployed',
  'build.requested',
  'build.scheduled',
  'build.started',
  'build.finished',
  'gitops.drift.detected',
] as const satisfies readonly EventType[];

export type ConfigEventType = (typeof CONFIG_EVENT_TYPES)[number];

/** An event of a config's stream as the decider sees it: a literal type and its latest-version data. */
export type ConfigEvent = { [K in ConfigEventType]: { readonly type: K; readonly data: EventData<K> } }[ConfigEventType];
export type ConfigEventOf<K extends ConfigEventType> = Extract<ConfigEvent, { type: K }>;

/** What kube-applier reports (stream `applier-<config>`); autodeploy records them in the config's stream. */
export const OUTCOME_TYPES = ['deploy.started', 'deploy.applied', 'deploy.succeeded', 'deploy.failed', 'deploy.undeployed'] as const satisfies readonly ConfigEventType[];
export type OutcomeType = (typeof OUTCOME_TYPES)[number];
export type OutcomeEvent = ConfigEventOf<OutcomeType>;

/** How kube-applier's build goes (stream `applier-<config>`); autodeploy records them in the config's stream. */
export const BUILD_REPORT_TYPES = ['build.scheduled', 'build.started', 'build.finished'] as const satisfies readonly ConfigEventType[];
export type BuildReportType = (typeof BUILD_REPORT_TYPES)[number];
export type BuildReport = ConfigEventOf<BuildReportType>;

/** kube-applier's report of a change to a config's GitOps target that is not Sluice's; recorded in the config's stream. */
export const DRIFT_TYPE = 'gitops.drift.detected' as const satisfies ConfigEventType;
export type DriftReport = ConfigEventOf<typeof DRIFT_TYPE>;

/** Lines for a deploy's log from the cluster (Kubernetes Events, a Job's log); recorded in the config's stream. */
export const LOG_TYPE = 'deploy.log' as const satisfies ConfigEventType;
export type LogReport = ConfigEventOf<typeof LOG_TYPE>;

/** kube-applier's report of one step of a deploy (§1 "Steps"); recorded in the config's stream. */
export const STEP_TYPE = 'deploy.step' as const satisfies ConfigEventType;
export type StepReport = ConfigEventOf<typeof STEP_TYPE>;

const configTypes = new Set<string>(CONFIG_EVENT_TYPES);
const outcomeTypes = new Set<string>(OUTCOME_TYPES);
const buildReportTypes = new Set<string>(BUILD_REPORT_TYPES);

export function isBuildReportType(type: string): type is BuildReportType {
  return buildReportTypes.has(type);
}

export function isConfigEventType(type: string): type is ConfigEventType {
  return configTypes.has(type);
}

export function isOutcomeType(type: string): type is OutcomeType {
  return outcomeTypes.has(type);
}

/** What kube-applier reports on its stream and autodeploy records in the config's: outcomes, steps, build reports, drift. */
export const APPLIER_REPORT_TYPES = [...OUTCOME_TYPES, STEP_TYPE, LOG_TYPE, ...BUILD_REPORT_TYPES, DRIFT_TYPE] as const satisfies readonly ConfigEventType[];

export function isApplierReportType(type: string): boolean {
  return isOutcomeType(type) || isBuildReportType(type) || type === STEP_TYPE || type === LOG_TYPE || type === DRIFT_TYPE;
}


export function configNameOfStream(stream: string): string | null {
  return stream.startsWith(CONFIG_STREAM_PREFIX) ? stream.slice(CONFIG_STREAM_PREFIX.length) : null;
}
