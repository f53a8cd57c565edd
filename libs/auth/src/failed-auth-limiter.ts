import { isIPv6 } from 'node:net';

export interface FailedAuthLimits {
  /** Failed authentications a client address may make within `windowMs` before it is blocked. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** How long a blocked address gets 429 without its token being checked. */
  readonly blockMs: number;
  /** Addresses tracked at once; past it the least recently failing are forgotten (memory stays bounded under an attack from many addresses). */
  readonly maxClients: number;
}

/**
 * 60 failures a minute per address, then a minute of 429. Guessing is hopeless against a
 * 256-bit team token or a 32-character admin token anyway; the bound stops a guessing
 * loop and the load and log lines it makes, while a client waiting for a new token to
 * reach a service (it travels over `sluice.auth.v1`) can poll for a while.
 */
export const DEFAULT_FAILED_AUTH_LIMITS: FailedAuthLimits = { maxFailures: 60, windowMs: 60_000, blockMs: 60_000, maxClients: 10_000 };

interface ClientState {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

/**
 * Counts failed bearer authentications per client address in fixed windows, in memory,
 * per process (each instance of a service keeps its own). IPv6 addresses count by their
 * /64, which one client usually holds whole.
 */
export class FailedAuthLimiter {
  // A Map iterates in insertion order; re-inserting on each failure makes the first entry
  // the least recently failing one, which is what gets forgotten first.
  private readonly clients = new Map<string, ClientState>();

  constructor(
    readonly limits: FailedAuthLimits = DEFAULT_FAILED_AUTH_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limits.maxFailures > 0 && limits.windowMs > 0 && limits.blockMs > 0 && limits.maxClients > 0)) {
      throw new Error('FailedAuthLimiter: limits must be positive');
    }
  }

  /** Milliseconds until `address` may try again; 0 when it is not blocked. */
  blockedFor(address: string | undefined): number {
    const state = this.clients.get(clientKey(address));
    if (!state) return 0;
    return Math.max(0, state.blockedUntil - this.now());
  }

  recordFailure(address: string | undefined): void {
    const key = clientKey(address);
    const now = this.now();
    let state = this.clients.get(key);
    if (state) this.clients.delete(key);
    if (!state || now - state.windowStart >= this.limits.windowMs) {
      state = { windowStart: now, failures: 0, blockedUntil: state?.blockedUntil ?? 0 };
    }
    state.failures++;
    if (state.failures >= this.limits.maxFailures) state.blockedUntil = now + this.limits.blockMs;
    this.clients.set(key, state);
    while (this.clients.size > this.limits.maxClients) {
      this.clients.delete(this.clients.keys().next().value as string);
    }
  }

  /** Addresses tracked now (for tests). */
  get size(): number {
    return this.clients.size;
  }
}

/** The key an address counts under: IPv4 (also when mapped into IPv6) as is, IPv6 by its /64. */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.split('::') as [string, string?];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = address.includes('::') ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups] : headGroups;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
