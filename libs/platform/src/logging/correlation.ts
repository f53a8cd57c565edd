import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The structured fields every log line carries while work for one request, delivery or
 * event is under way (CONVENTIONS: `correlationId`, `eventId`, `deliveryId`, `stream`, `type`).
 */
export interface CorrelationContext {
  readonly correlationId: string;
  readonly eventId?: string;
  readonly deliveryId?: string;
  readonly stream?: string;
  readonly type?: string;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

/**
 * Runs `fn` with `context` as the current correlation. Nested calls inherit the outer
 * fields they do not set (an event handled inside a delivery keeps its `deliveryId`).
 */
export function runWithCorrelation<T>(context: CorrelationContext, fn: () => T): T {
  const outer = storage.getStore();
  const merged: CorrelationContext = outer ? { ...outer, ...definedFields(context) } : { ...definedFields(context) } as CorrelationContext;
  return storage.run(merged, fn);
}

export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}

/** The current correlation fields for a log line (empty outside any context). */
export function correlationFields(): Partial<CorrelationContext> {
  const store = storage.getStore();
  return store ? definedFields(store) : {};
}

function definedFields<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller-supplied id (header) is kept only when it is short and harmless to log. */
export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID.test(value);
}
