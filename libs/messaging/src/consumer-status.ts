import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '@sluice/platform';
import type { FailureClass } from './failure-class';

/** A consumer group that has been failing on a topic, and since when. */
export interface RetryingConsumer {
  readonly group: string;
  readonly topic: string;
  /** Epoch ms of the first failure of this episode. */
  readonly since: number;
  /** Deliveries of the group on the topic failing right now (0 during the quiet period). */
  readonly failing: number;
  /** Name of the last error (never its message: it may name hosts). */
  readonly lastError: string;
  readonly lastClass: FailureClass;
}

interface Episode {
  since: number;
  failing: number;
  lastError: string;
  lastClass: FailureClass;
  /** When `failing` last dropped to 0; the episode ends `quietMs` later without a new failure. */
  clearedAt: number | null;
}

/** Every live bus's status, for the gauges below (prom-client metrics are process-wide). */
const live = new Set<ConsumerStatus>();

/**
 * Where each consumer group stands with its failures, for `/metrics` and `/readyz`. A group
 * that fails on a topic starts an "episode" whose start is "retrying since"; the episode
 * survives a success followed by another failure within `quietMs`, so during an outage a
 * consumer that gets one message through now and then does not make readiness flap.
 */
export class ConsumerStatus {
  private readonly episodes = new Map<string, Episode>();

  constructor(
    private readonly quietMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    live.add(this);
  }

  /** A delivery failed and will be retried (or dead-lettered). */
  failed(group: string, topic: string, error: Error | { name: string }, failureClass: FailureClass, firstFailure: boolean): void {
    retriesTotal.inc({ group, topic, class: failureClass });
    const episode = this.episode(group, topic);
    if (firstFailure) episode.failing++;
    episode.clearedAt = null;
    episode.lastError = error.name;
    episode.lastClass = failureClass;
  }

  /** A delivery that had failed before ended (handled, dead-lettered or abandoned). */
  recovered(group: string, topic: string): void {
    const episode = this.episodes.get(key(group, topic));
    if (!episode) return;
    episode.failing = Math.max(0, episode.failing - 1);
    if (episode.failing === 0) episode.clearedAt = this.now();
  }

  deadLettered(group: string, topic: string): void {
    deadLetteredTotal.inc({ group, topic });
  }

  /** Groups failing now, or within the quiet period. */
  retrying(): RetryingConsumer[] {
    const now = this.now();
    const result: RetryingConsumer[] = [];
    for (const [name, episode] of this.episodes) {
      if (episode.clearedAt !== null && now - episode.clearedAt >= this.quietMs) {
        this.episodes.delete(name);
        continue;
      }
      const [group, topic] = name.split('\u0000') as [string, string];
      result.push({ group, topic, since: episode.since, failing: episode.failing, lastError: episode.lastError, lastClass: episode.lastClass });
    }
    return result;
  }

  /** Stops reporting (the bus closed). */
  close(): void {
    live.delete(this);
  }

  private episode(group: string, topic: string): Episode {
    const name = key(group, topic);
    let episode = this.episodes.get(name);
    if (episode && episode.clearedAt !== null && this.now() - episode.clearedAt >= this.quietMs) episode = undefined;
    if (!episode) {
      episode = { since: this.now(), failing: 0, lastError: '', lastClass: 'unknown', clearedAt: null };
      this.episodes.set(name, episode);
    }
    return episode;
  }
}

function key(group: string, topic: string): string {
  return `${group}\u0000${topic}`;
}

/**
 * Readiness of the consumers: not ready while some group has been failing for longer than
 * `stalledAfterMs`, with the reason (group, topic, for how long, the error's name).
 */
export function consumerReadiness(retrying: readonly RetryingConsumer[], stalledAfterMs: number, now = Date.now()): { ok: boolean; detail: string } {
  const stalled = retrying.filter((r) => now - r.since >= stalledAfterMs);
  if (stalled.length === 0) return { ok: true, detail: retrying.length === 0 ? 'ok' : `retrying: ${describe(retrying, now)}` };
  return { ok: false, detail: `stalled: ${describe(stalled, now)}` };
}

function describe(retrying: readonly RetryingConsumer[], now: number): string {
  return retrying
    .map((r) => `group ${r.group} on ${r.topic} retrying since ${new Date(r.since).toISOString()} (${Math.round((now - r.since) / 1000)} s, ${r.lastClass} ${r.lastError})`)
    .join('; ');
}

const retriesTotal = new Counter({
  name: 'sluice_consumer_failures_total',
  help: 'Handler failures, by consumer group, topic and class (transient: retried without limit; unknown: retried up to maxAttempts; permanent: dead-lettered)',
  labelNames: ['group', 'topic', 'class'] as const,
  registers: [metricsRegistry],
});

const deadLetteredTotal = new Counter({
  name: 'sluice_consumer_dead_lettered_total',
  help: 'Messages a consumer group dead-lettered to <topic>.dlq',
  labelNames: ['group', 'topic'] as const,
  registers: [metricsRegistry],
});

/** Labels (group, topic) seen so far, so a recovered group reports 0 instead of vanishing. */
const seenRetrying = new Set<string>();

/** Set when scraped: 0 while a group is healthy, else the start of its failure episode. */
new Gauge({
  name: 'sluice_consumer_retrying_since_seconds',
  help: 'Unix time since which a consumer group has been failing on a topic (retrying); 0 when it is not',
  labelNames: ['group', 'topic'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const name of seenRetrying) {
      const [group, topic] = name.split('\u0000') as [string, string];
      this.set({ group, topic }, 0);
    }
    for (const status of live) {
      for (const r of status.retrying()) {
        seenRetrying.add(key(r.group, r.topic));
        this.set({ group: r.group, topic: r.topic }, r.since / 1000);
      }
    }
  },
});

/** Messages of a partition not yet handled by the group (Kafka: high watermark minus position). */
export const consumerLag = new Gauge({
  name: 'sluice_consumer_lag_messages',
  help: 'Messages of a topic partition the consumer group has not handled yet',
  labelNames: ['group', 'topic', 'partition'] as const,
  registers: [metricsRegistry],
});
