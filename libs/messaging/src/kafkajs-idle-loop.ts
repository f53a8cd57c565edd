/**
 * kafkajs 2.2.4 (its last release) keeps every broker connection's request queue in a timer loop
 * once it has sent one request: `scheduleCheckPendingRequests` arms a timer even when nothing is
 * pending, with a negative delay (so 1 ms), and each check arms the next
 * (https://github.com/tulios/kafkajs/issues/1556, fix proposed in pull request 1667, not
 * released). An idle service spent ~10 ms of CPU a second in it, and every timer is a wake-up
 * of the event loop under load too.
 *
 * `fixKafkajsIdleLoop` replaces that one method with the proposed fix: a check is scheduled only
 * while requests are pending (a request pushed later schedules its own; a fulfilled or timed-out
 * one checks again), at the throttle's end or after the library's 10 ms. It changes nothing
 * unless the installed kafkajs is the version whose method it knows, word for word.
 */
import { createRequire } from 'node:module';

const KNOWN_VERSION = '2.2.4';
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
/** The buggy method's tell-tale lines, as kafkajs 2.2.4 ships them. */
const KNOWN_BODY = ['let scheduleAt = this.throttledUntil - Date.now()', 'if (this.pending.length > 0) {', 'this.throttleCheckTimeoutId = setTimeout(() => {'];

/** What this fix touches of kafkajs's (internal) RequestQueue. */
export interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's RequestQueue class: the same module instance its connections load (resolved from kafkajs itself). */
export function kafkajsRequestQueue(): { prototype: RequestQueueLike } {
  return createRequire(require.resolve('kafkajs'))('./src/network/requestQueue') as { prototype: RequestQueueLike };
}

export type KafkajsIdleLoopFix = 'applied' | 'already applied' | `not applied: ${string}`;

let outcome: KafkajsIdleLoopFix | null = null;

export function fixKafkajsIdleLoop(): KafkajsIdleLoopFix {
  if (outcome) return outcome === 'applied' ? 'already applied' : outcome;
  outcome = apply();
  return outcome;
}

function apply(): KafkajsIdleLoopFix {
  const version = (createRequire(require.resolve('kafkajs'))('./package.json') as { version: string }).version;
  if (version !== KNOWN_VERSION) return `not applied: kafkajs ${version} is not ${KNOWN_VERSION}`;
  const RequestQueue = kafkajsRequestQueue();
  const source = String(RequestQueue.prototype.scheduleCheckPendingRequests);
  if (!KNOWN_BODY.every((line) => source.includes(line))) return 'not applied: scheduleCheckPendingRequests is not the known one';
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike): void {
    if (this.pending.length === 0 || this.throttleCheckTimeoutId) return;
    const throttledFor = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL_MS);
  };
  return 'applied';
}
