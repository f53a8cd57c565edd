/**
 * Stream names of docs/architecture.md §3, one rule each, used by every service that writes or
 * reads them (the Kafka key of a message is its stream).
 */

/** Everything about one repository: `repo-<owner/name>` (webhook-ingest and repo-sync alike). */
export function repoStream(fullName: string): string {
  return `repo-${fullName}`;
}

export const CONFIG_STREAM_PREFIX = 'config-';

/** A config's decisions and the outcomes recorded for it, kept by autodeploy: `config-<name>`. */
export function configStream(name: string): string {
  return `${CONFIG_STREAM_PREFIX}${name}`;
}

export const APPLIER_STREAM_PREFIX = 'applier-';

/** What kube-applier reports about a config's deploys: `applier-<name>`. */
export function applierStream(config: string): string {
  return `${APPLIER_STREAM_PREFIX}${config}`;
}
