/** Kafka topics of docs/architecture.md §3; each has a dead-letter topic `<topic>.dlq`. */
export const Topics = {
  scm: 'sluice.scm.v1',
  repo: 'sluice.repo.v1',
  deploy: 'sluice.deploy.v1',
  status: 'sluice.status.v1',
  /** Extension: team tokens issued and revoked, team policies set and removed (autodeploy → every service with an API). */
  auth: 'sluice.auth.v1',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly Topic[] = Object.values(Topics);

/**
 * Kafka settings of a topic beyond the broker's defaults, applied when a service creates
 * it. `sluice.auth.v1` is compacted instead of expiring: a service that subscribes for the
 * first time long after a token was issued must still learn it, and compaction keeps the
 * last event per token (its revocation, if any).
 */
export const TOPIC_SETTINGS: Readonly<Partial<Record<Topic, Readonly<Record<string, string>>>>> = {
  [Topics.auth]: { 'cleanup.policy': 'compact' },
};

export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
