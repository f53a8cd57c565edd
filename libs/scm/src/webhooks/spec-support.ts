// Test-only helpers for the webhook normalisers' specs (not exported from index.ts).
import assert from 'node:assert/strict';
import { parseEvent } from '@sluice/contracts';
import type { Normalised } from './provider';

export type NormalisedEvent = { readonly type: string; readonly data: Record<string, unknown> };

/** The events of a normalised delivery, each parsed as consumers will parse it. */
export function eventsOf(result: Normalised): readonly NormalisedEvent[] {
  assert.equal(result.kind, 'events', result.kind === 'ignored' ? result.reason : '');
  if (result.kind !== 'events') throw new Error('unreachable');
  for (const e of result.events) {
    parseEvent({
      id: '018f0000-0000-7000-8000-000000000000',
      type: e.type,
      version: e.version,
      stream: result.stream,
      streamVersion: 1,
      occurredAt: new Date().toISOString(),
      correlationId: 'c',
      causationId: null,
      data: e.data,
    });
  }
  return result.events as readonly NormalisedEvent[];
}

export function reasonOf(result: Normalised): string {
  assert.equal(result.kind, 'ignored');
  return result.kind === 'ignored' ? result.reason : '';
}
