/**
 * What a handler failure means for its message, decided here and nowhere else:
 * - `transient`: the world is down or busy (a database, the SCM, the API server); the same
 *   message will succeed later, so it is retried without limit and never dead-lettered.
 * - `permanent`: retrying cannot help (a malformed event, a 4xx); dead-lettered at once.
 * - `unknown`: nothing says which (most likely a bug in the handler); retried up to the
 *   subscription's `maxAttempts`, then dead-lettered for an operator to redrive after the fix.
 *
 * Recognised structurally (no dependency on the kube, SCM or database libraries): their
 * typed errors carry `retryable` (KubeError), `transient` (ScmRequestError), an HTTP
 * `status` (Octokit), a SQLSTATE `code` (pg, also under TypeORM's `driverError`), or a
 * socket `code` somewhere in the `cause` chain.
 */
export type FailureClass = 'transient' | 'permanent' | 'unknown';

/**
 * Socket-level codes of node, undici and pg: the other end is not reachable right now
 * (ECONNREFUSED/RESET/ABORTED, EHOSTUNREACH/DOWN, ENETUNREACH/DOWN, EPIPE, ETIMEDOUT,
 * EAI_AGAIN, ENOTFOUND, premature stream close, socket timeouts, any undici socket error).
 */
const NETWORK_CODE = /^(ECONN|EHOST|ENET|EPIPE$|ETIMEDOUT$|EAI_AGAIN$|ENOTFOUND$|ERR_STREAM_PREMATURE_CLOSE$|ERR_SOCKET_|UND_ERR_)/;

/**
 * SQLSTATEs worth waiting out: connection exceptions (08), serialization failure and
 * deadlock (40001, 40P01), insufficient resources (53), operator intervention such as a
 * server shutting down or starting (57P01-57P05), statement timeout (57014), lock not
 * available (55P03).
 */
const TRANSIENT_SQLSTATE = /^(08...|40001|40P01|53...|57P0[1-5]|57014|55P03)$/;
/** Data exceptions (22) and syntax or access errors (42): the same statement fails again. */
const PERMANENT_SQLSTATE = /^(22...|42...)$/;

/** node-postgres and pg-pool report a lost or refused connection without a code. */
const CONNECTION_LOST = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|Driver not Connected|socket hang up/i;

/** Errors that say by their name which side they are on. */
const TRANSIENT_NAMES = new Set(['ConcurrencyError', 'TimeoutError', 'AbortError', 'FetchError']);
const PERMANENT_NAMES = new Set(['PermanentDeliveryError', 'EventParseError', 'ZodError', 'ScmNotFoundError', 'ScmAuthError']);

const MAX_CAUSE_DEPTH = 5;

export function classifyFailure(error: unknown): FailureClass {
  for (let current = error, depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth++) {
    const found = classifyOne(current as FailureFields);
    if (found !== 'unknown') return found;
    const next = (current as FailureFields).cause ?? (current as FailureFields).driverError;
    if (next === current) break;
    current = next;
  }
  return 'unknown';
}

interface FailureFields {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly permanent?: unknown;
  readonly retryable?: unknown;
  readonly transient?: unknown;
  readonly retriable?: unknown;
  readonly status?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly driverError?: unknown;
}

function classifyOne(error: FailureFields): FailureClass {
  if (error.permanent === true) return 'permanent';
  if (typeof error.retryable === 'boolean') return error.retryable ? 'transient' : 'permanent';
  if (typeof error.transient === 'boolean') return error.transient ? 'transient' : 'permanent';
  // kafkajs errors (a handler that publishes)
  if (typeof error.retriable === 'boolean') return error.retriable ? 'transient' : 'unknown';
  if (typeof error.name === 'string') {
    if (PERMANENT_NAMES.has(error.name)) return 'permanent';
    if (TRANSIENT_NAMES.has(error.name)) return 'transient';
  }
  if (typeof error.code === 'string') {
    if (NETWORK_CODE.test(error.code)) return 'transient';
    if (TRANSIENT_SQLSTATE.test(error.code)) return 'transient';
    if (PERMANENT_SQLSTATE.test(error.code)) return 'permanent';
  }
  if (typeof error.status === 'number') return classifyHttpStatus(error.status);
  if (typeof error.message === 'string' && CONNECTION_LOST.test(error.message)) return 'transient';
  return 'unknown';
}

/** 408, 425, 429 and 5xx may succeed later (501 never will); any other 4xx will not. */
export function classifyHttpStatus(status: number): FailureClass {
  if (status === 408 || status === 425 || status === 429) return 'transient';
  if (status >= 500) return status === 501 ? 'permanent' : 'transient';
  if (status >= 400) return 'permanent';
  return 'unknown';
}
