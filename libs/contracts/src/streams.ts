/**
 * Stream names of docs/architecture.md §3, one rule each, used by every service that writes or
 * reads them, and the Kafka key they travel under (`messageKey`).
 */

/**
 * Everything about one repository (webhook-ingest and repo-sync alike), keyed by its identity so
 * a rename or transfer keeps one stream, one Kafka key and one order: `repo-<provider>-<id>`;
 * `repo-<owner/name>` for a GitHub repository whose id is not known (events written before ids
 * were recorded), `repo-<provider>-<owner/name>` for another provider's.
 */
export function repoStream(repo: { readonly provider: string; readonly id: number | null; readonly fullName: string }): string {
  if (repo.id !== null) return `repo-${repo.provider}-${repo.id}`;
  return repo.provider === 'github' ? `repo-${repo.fullName}` : `repo-${repo.provider}-${repo.fullName}`;
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

export const PREVIEW_STREAM_PREFIX = 'preview-';

/** The preview environments of a config (docs/architecture.md §1 "Previews"), decided by autodeploy: `preview-<name>`. */
export function previewStream(config: string): string {
  return `${PREVIEW_STREAM_PREFIX}${config}`;
}

/**
 * The Kafka key of a message of `stream`: a config's name for everything about that config —
 * autodeploy's decisions (`config-<name>`), its previews (`preview-<name>`) and kube-applier's
 * outcomes (`applier-<name>`) share one key, hence one partition, so every consumer sees a config's requests and outcomes in the
 * order they happened; the stream itself for every other stream.
 */
export function messageKey(stream: string): string {
  if (stream.startsWith(CONFIG_STREAM_PREFIX)) return stream.slice(CONFIG_STREAM_PREFIX.length);
  if (stream.startsWith(APPLIER_STREAM_PREFIX)) return stream.slice(APPLIER_STREAM_PREFIX.length);
  if (stream.startsWith(PREVIEW_STREAM_PREFIX)) return stream.slice(PREVIEW_STREAM_PREFIX.length);
  return stream;
}
