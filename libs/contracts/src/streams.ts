/**
 * Stream names of docs/architecture.md §3, one rule each, used by every service that writes or
 * reads them, and the Kafka key they travel under (`messageKey`).
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

/**
 * The Kafka key of a message of `stream`: a config's name for everything about that config —
 * autodeploy's decisions (`config-<name>`) and kube-applier's outcomes (`applier-<name>`) share
 * one key, hence one partition, so every consumer sees a config's requests and outcomes in the
 * order they happened; the stream itself for every other stream.
 */
export function messageKey(stream: string): string {
  if (stream.startsWith(CONFIG_STREAM_PREFIX)) return stream.slice(CONFIG_STREAM_PREFIX.length);
  if (stream.startsWith(APPLIER_STREAM_PREFIX)) return stream.slice(APPLIER_STREAM_PREFIX.length);
  return stream;
}
