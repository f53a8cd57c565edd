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

/**
 * Writes a deploy's log from its Server-Sent Events as they come, a line per entry; a deploy that
 * ends failed or superseded fails the command.
 */
export async function followDeployLog(deployId: string, body: ReadableStream<Uint8Array>, write: (text: string) => void): Promise<void> {
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
      if (event === 'end' && entry.data.phase !== 'succeeded') throw new CommandFailed(`deploy ${deployId} ${entry.data.phase}`);
    }
  }
}
