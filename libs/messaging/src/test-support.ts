// Helpers for this library's own tests; not exported from index.ts.
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@sluice/contracts';
import type { MessagingLogger } from './logger';

export function envelope(stream: string, streamVersion: number, data: unknown = {}): EventEnvelope {
  return {
    id: randomUUID(),
    type: 'test.happened',
    version: 1,
    stream,
    streamVersion,
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    causationId: null,
    data,
  };
}

/** `count` envelopes for each of `streams`, interleaved (a1 b1 a2 b2 ...). */
export function interleaved(streams: readonly string[], count: number): EventEnvelope[] {
  const out: EventEnvelope[] = [];
  for (let version = 1; version <= count; version++) for (const stream of streams) out.push(envelope(stream, version));
  return out;
}

/** Groups received stream versions per stream, in the order received. */
export function versionsByStream(received: readonly EventEnvelope[]): Map<string, number[]> {
  const byStream = new Map<string, number[]>();
  for (const e of received) byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), e.streamVersion]);
  return byStream;
}

export interface RecordedLog {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: object;
  readonly message: string;
}

/** A logger that keeps what it is told, so tests can assert on it (and print it on failure). */
export function recordingLogger(): MessagingLogger & { readonly entries: RecordedLog[] } {
  const entries: RecordedLog[] = [];
  const at = (level: RecordedLog['level']) => (fields: object, message: string) => {
    entries.push({ level, fields, message });
    // Set SLUICE_TEST_LOG=1 to watch a slow test live.
    if (process.env.SLUICE_TEST_LOG) process.stderr.write(`${new Date().toISOString()} ${level} ${message} ${JSON.stringify(fields).slice(0, 300)}\n`);
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
