import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { createLogger } from '../logging/logger';

export interface ReadinessResult {
  readonly ok: boolean;
  readonly detail?: string;
}

/** A readiness check: database connected, message bus ready, cluster reachable… */
export type ReadinessCheck = () => boolean | ReadinessResult | Promise<boolean | ReadinessResult>;

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, { ok: boolean; detail: string }>;
}

/** How long `/readyz` waits for one check before counting it as failed. */
export const READINESS_CHECK_TIMEOUT_MS = 2000;

/**
 * Where modules register what "ready" means for them. `/readyz` is 200 only when every
 * registered check passes; a process that is shutting down is not ready, so a load
 * balancer drains it before it stops.
 */
@Injectable()
export class ReadinessRegistry implements BeforeApplicationShutdown {
  private readonly checks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;
  private readonly log = createLogger('readiness');

  /** Registers (or replaces) a check; returns a function that removes it. */
  register(name: string, check: ReadinessCheck): () => void {
    this.checks.set(name, check);
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name);
    };
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  async evaluate(timeoutMs = READINESS_CHECK_TIMEOUT_MS): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await this.run(name, check, timeoutMs)] as const),
    );
    const checks: Record<string, { ok: boolean; detail: string }> = Object.fromEntries(entries);
    if (this.shuttingDown) checks['shutdown'] = { ok: false, detail: 'shutting down' };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  private async run(name: string, check: ReadinessCheck, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([Promise.resolve().then(check), timeout]);
      if (result === 'timeout') return { ok: false, detail: `timed out after ${timeoutMs} ms` };
      if (typeof result === 'boolean') return { ok: result, detail: result ? 'ok' : 'not ready' };
      return { ok: result.ok, detail: result.detail ?? (result.ok ? 'ok' : 'not ready') };
    } catch (err) {
      // The error may name hosts or hold credentials; /readyz is unauthenticated, so
      // the detail stays generic and the error goes to the log.
      this.log.warn({ err, check: name }, 'readiness check failed');
      return { ok: false, detail: 'check failed' };
    } finally {
      clearTimeout(timer);
    }
  }
}
