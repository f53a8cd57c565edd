// A deploy's live log: `GET /api/deploys/{id}/logs` as Server-Sent Events. EventSource cannot send
// the Authorization header, so the stream is read with fetch; after a dropped connection it
// reconnects with Last-Event-ID, and the server sends what was missed and nothing twice.
import { useEffect, useState } from 'react';
import { ApiError, asApiError, refusalOf, teamStore, tokenStore } from './api';

interface Message {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

interface Entry {
  readonly at: string;
  readonly text?: string;
  readonly phase?: string;
  readonly step?: { readonly name: string; readonly state: string; readonly result: string | null; readonly error: { readonly reason: string; readonly message: string } | null };
}

/** One line as `sluice logs` and `?follow=false` write it. */
function describe(event: string, entry: Entry): string {
  if (event === 'end') return `${entry.at} deploy ${entry.phase ?? ''}`;
  const step = entry.step;
  if (event !== 'step' || !step) return `${entry.at} ${entry.text ?? ''}`;
  const outcome = step.error ? `: ${step.error.reason}: ${step.error.message}` : step.result ? `: ${step.result}` : '';
  return `${entry.at} step ${step.name} ${step.state}${outcome}`;
}

/** Splits a text/event-stream into messages (the WHATWG rules this API uses: event, data, id, comments). */
async function* messagesOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Message> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  let current: { id: string | null; event: string; data: string[] } = { id: null, event: 'message', data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    pending += value;
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (current.data.length) yield { id: current.id, event: current.event, data: current.data.join('\n') };
        current = { id: null, event: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'event') current.event = value;
      else if (name === 'data') current.data.push(value);
      else if (name === 'id') current.id = value;
    }
  }
}

export function useDeployLog(deployId: string): { lines: readonly string[]; ended: boolean; error: ApiError | undefined } {
  const [lines, setLines] = useState<string[]>([]);
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    const controller = new AbortController();
    let lastId: string | null = null;
    const follow = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        try {
          const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${tokenStore.get() ?? ''}` };
          if (lastId) headers['last-event-id'] = lastId;
          const team = teamStore.get();
          if (team) headers['x-sluice-team'] = team;
          const res = await fetch(`/api/deploys/${encodeURIComponent(deployId)}/logs`, { headers, signal: controller.signal });
          if (!res.ok) throw await refusalOf(res);
          if (!res.body) throw new ApiError(0, { code: 'client', message: 'the log stream has no body' });
          setError(undefined);
          for await (const message of messagesOf(res.body)) {
            lastId = message.id ?? lastId;
            setLines((all) => [...all, describe(message.event, JSON.parse(message.data) as Entry)]);
            if (message.event === 'end') return setEnded(true);
          }
        } catch (e) {
          if (controller.signal.aborted) return;
          setError(asApiError(e));
          // The API said no (403, 404): asking again will not change that.
          if (e instanceof ApiError && e.status >= 400) return;
        }
        // Dropped before the end: again in 2 s, from the last event seen.
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    };
    void follow();
    return () => controller.abort();
  }, [deployId]);
  return { lines, ended, error };
}
