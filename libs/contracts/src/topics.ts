/** Kafka topics of ARCHITECTURE §3; each has a dead-letter topic `<topic>.dlq`. */
export const Topics = {
  scm: 'sluice.scm.v1',
  repo: 'sluice.repo.v1',
  deploy: 'sluice.deploy.v1',
  status: 'sluice.status.v1',
  /** Extension: team tokens issued and revoked (autodeploy → every service with an API). */
  auth: 'sluice.auth.v1',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly Topic[] = Object.values(Topics);

export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
