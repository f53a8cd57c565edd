import { CommandFailed } from './errors';

/** An entry of `GET /api/deploys/{id}/logs` as Server-Sent Events carry it. */
interface LogEvent {
  readonly event: string;
  readonly data: {
    at: string;
    text?: string;
    phase?: string;
    step?: { name: string; state: string; result: string | null; error: { reason: string; message: string } | null };
  };
}

/** The entry as the API's text form writes it (`?follow=false`). */
function lineOf({ event, data }: LogEvent): string {
  if (event === 'step' && data.step) {
    const s = data.step;
    return `${data.at} step ${s.name} ${s.state}${s.result ? `: ${s.result}` : ''}${s.error ? `: ${s.error.reason}: ${s.error.message}` : ''}`;
  }
  if (event === 'end') return `${data.at} deploy ${data.phase}`;
  return `${data.at} ${data.text ?? ''}`;
}

/** Opens the deploy's log stream, resuming after the entry with `lastEventId` (the SSE `Last-Event-ID`) when given. */
export type OpenDeployLog = (lastEventId: string | null) => Promise<ReadableStream<Uint8Array>>;

export interface FollowOptions {
  /** Reconnections in a row that bring no new entry before the command fails (default 5). */
  readonly retries?: number;
  /** Waits before a reconnection (default: 0.5 s doubling). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Writes a deploy's log from its Server-Sent Events as they come, a line per entry, until the
 * deploy ends; a deploy that ends failed or superseded fails the command. A stream that closes
 * before the end (a restart, a proxy's timeout) is opened again with `Last-Event-ID`, so nothing
 * is missed or written twice; after `retries` reconnections in a row without a new entry the
 * command fails instead of passing for a deploy it never saw end.
 */
export async function followDeployLog(deployId: string, open: OpenDeployLog, write: (text: string) => void, options: FollowOptions = {}): Promise<void> {
  const retries = options.retries ?? 5;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let lastEventId: string | null = null;
  for (let failures = 0; ; ) {
    let stream: ReadableStream<Uint8Array> | null = null;
    try {
      stream = await open(lastEventId);
    } catch (error) {
      if (error instanceof CommandFailed && lastEventId === null) throw error; // refused at once: the API's answer
    }
    const before = lastEventId;
    if (stream) {
      // A connection that breaks mid-stream is opened again; a deploy that ended failed fails the command.
      const read = await readEntries(deployId, stream, write, (id) => (lastEventId = id)).catch((error: unknown) => {
        if (error instanceof CommandFailed) throw error;
        return 'dropped' as const;
      });
      if (read === 'ended') return;
    }
    failures = lastEventId !== before ? 1 : failures + 1;
    if (failures > retries) throw new CommandFailed(`deploy ${deployId}: its log stream closed before the deploy ended, and ${retries} reconnections brought nothing new`);
    await sleep(500 * 2 ** Math.min(failures - 1, 4));
  }
}

/** The entries of one connection; 'ended' once the deploy's `end` entry came (a failed end throws). */
async function readEntries(deployId: string, body: ReadableStream<Uint8Array>, write: (text: string) => void, seen: (id: string) => void): Promise<'ended' | 'closed'> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      const event = field('event');
      const data = field('data');
      if (!event || !data) continue; // a comment: the connection kept open
      const entry: LogEvent = { event, data: JSON.parse(data) as LogEvent['data'] };
      write(`${lineOf(entry)}\n`);
      const id = field('id');
      if (id) seen(id);
      if (event === 'end') {
        if (entry.data.phase !== 'succeeded') throw new CommandFailed(`deploy ${deployId} ${entry.data.phase}`);
        return 'ended';
      }
    }
  }
  return 'closed';
}
