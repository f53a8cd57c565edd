import type { ConfigEvent } from '../domain/config-events';
import { foldDeploySteps, type DeployStep } from '../domain/deploy-steps';

/** One event of a config's stream with its place in the stream and its time. */
export interface RecordedConfigEvent {
  readonly version: number;
  readonly at: string;
  readonly event: ConfigEvent;
}

/** Reads a deploy's events from its config's stream (docs/architecture.md §7, `GET /api/deploys/{id}/logs`). */
export interface DeployEvents {
  /** The stream version of the deploy's first event; null when none is recorded. */
  firstVersionOf(deployId: string): Promise<number | null>;
  /** The events of `config`'s stream from `fromVersion` on (at most `limit` read), and the version to read next. */
  read(config: string, fromVersion: number, limit: number): Promise<{ events: RecordedConfigEvent[]; next: number }>;
}

/**
 * An entry of a deploy's log: a step that changed, a line for people, or the end of the deploy.
 * `id` (`<stream version>.<index>`) orders the entries and is what a reader resumes after.
 */
export type DeployLogEntry =
  | { readonly id: string; readonly kind: 'step'; readonly at: string; readonly step: DeployStep }
  | { readonly id: string; readonly kind: 'line'; readonly at: string; readonly text: string }
  | { readonly id: string; readonly kind: 'end'; readonly at: string; readonly phase: 'succeeded' | 'failed' | 'superseded' };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const describeStep = (s: DeployStep) =>
  `step ${s.name} ${s.state}${s.result ? `: ${s.result}` : ''}${s.error ? `: ${s.error.reason}: ${s.error.message}` : ''}`;

/** The entry as a line of text (`?follow=false`). */
export function formatLogEntry(entry: DeployLogEntry): string {
  switch (entry.kind) {
    case 'step':
      return `${entry.at} ${describeStep(entry.step)}`;
    case 'line':
      return `${entry.at} ${entry.text}`;
    case 'end':
      return `${entry.at} deploy ${entry.phase}`;
  }
}

/**
 * Turns a deploy's events, in order, into its log: every step that changed (through the same
 * fold as the deploy's `steps`), lines for the request, each object applied and a failure, and
 * the end. Events of other deploys in the stream are passed over.
 */
export class DeployLog {
  private steps: DeployStep[] = [];

  constructor(private readonly deployId: string) {}

  entriesOf(recorded: RecordedConfigEvent): DeployLogEntry[] {
    const { event, version, at } = recorded;
    const data = event.data as { deployId?: string };
    if (data.deployId !== this.deployId) return [];
    const out: Array<DistributiveOmit<DeployLogEntry, 'id'>> = [];
    const line = (text: string) => out.push({ kind: 'line', at, text });
    switch (event.type) {
      case 'deploy.queued':
      case 'deploy.requested':
      case 'undeploy.requested': {
        const d = event.data;
        line(`${event.type === 'deploy.queued' ? 'queued' : 'requested'} by ${d.requestedBy} (${d.cause}): ${d.reason || 'no reason given'}`);
        break;
      }
      case 'deploy.applied':
        for (const o of event.data.inventory) line(`applied ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}${event.data.dryRun ? ' (dry run)' : ''}`);
        break;
      case 'deploy.failed':
        line(`failed: ${event.data.reason}: ${event.data.message}`);
        break;
      case 'deploy.log':
        // The cluster's own clock where it gave one.
        for (const l of event.data.lines) out.push({ kind: 'line', at: l.at ?? at, text: `${event.data.source}: ${l.text}` });
        break;
      default:
        break;
    }
    const before = this.steps;
    this.steps = foldDeploySteps(this.steps, event, at);
    for (const step of this.steps) {
      const was = before.find((s) => s.name === step.name);
      if (!was || was.state !== step.state || was.result !== step.result) out.push({ kind: 'step', at, step });
    }
    if (event.type === 'deploy.succeeded' || event.type === 'deploy.undeployed') out.push({ kind: 'end', at, phase: 'succeeded' });
    if (event.type === 'deploy.failed') out.push({ kind: 'end', at, phase: 'failed' });
    if (event.type === 'deploy.superseded') out.push({ kind: 'end', at, phase: 'superseded' });
    return out.map((e, i) => ({ ...e, id: `${version}.${i}` }) as DeployLogEntry);
  }
}

/** Whether entry id `a` comes after `b` (ids are `<stream version>.<index>`). */
export function isAfter(a: string, b: string): boolean {
  const [av, ai] = a.split('.').map(Number) as [number, number];
  const [bv, bi] = b.split('.').map(Number) as [number, number];
  return av > bv || (av === bv && ai > bi);
}

/** Where a deploy's log goes: `write` resolves once the reader can take more (a slow reader holds only its own stream). */
export interface DeployLogSink {
  write(entry: DeployLogEntry): Promise<void>;
  /** Nothing new for a while: keeps the connection open. */
  idle(): Promise<void>;
  readonly closed: boolean;
}

const BATCH = 200;

/**
 * Streams a deploy's log into `sink`: the entries after `after` (a reader's Last-Event-ID), then,
 * with `follow`, new ones as they are recorded, until the deploy ends or the reader leaves. It
 * reads the event store in batches and writes one entry at a time, so its memory is one batch
 * whatever the reader's speed, and the deploy never waits for a reader.
 */
export async function streamDeployLog(
  events: DeployEvents,
  deploy: { id: string; config: string },
  options: { follow: boolean; after: string | null; pollMs: number },
  sink: DeployLogSink,
): Promise<void> {
  const log = new DeployLog(deploy.id);
  let from: number | null = null;
  for (;;) {
    from ??= await events.firstVersionOf(deploy.id);
    let ended = false;
    let full = false;
    if (from !== null) {
      const batch = await events.read(deploy.config, from, BATCH);
      from = batch.next;
      full = batch.events.length >= BATCH;
      for (const recorded of batch.events) {
        for (const entry of log.entriesOf(recorded)) {
          if (sink.closed) return;
          if (options.after === null || isAfter(entry.id, options.after)) await sink.write(entry);
          if (entry.kind === 'end') ended = true;
        }
      }
    }
    if (ended || sink.closed || (!options.follow && !full)) return;
    if (!full) {
      await new Promise((r) => setTimeout(r, options.pollMs));
      await sink.idle();
    }
  }
}
