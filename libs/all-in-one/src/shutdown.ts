import { createLogger } from '@sluice/platform';
import type { AllInOne } from './all-in-one';

/**
 * How long a stop may take before the process exits anyway: below the 10 s an
 * orchestrator (Kubernetes' default is 30 s, our e2e harness 10 s) waits before SIGKILL.
 */
export const SHUTDOWN_GRACE_MS = 8_000;

/**
 * SIGTERM/SIGINT stop the app and exit, within `graceMs` whatever is still running (a
 * global sync mid-repository, a request waiting on the database): past it the process
 * exits with status 1, and what was unfinished resumes on the next start. One line is
 * logged either way.
 */
export function stopOnSignals(sluice: AllInOne, graceMs = SHUTDOWN_GRACE_MS): void {
  const log = createLogger('all-in-one');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    setTimeout(() => {
      log.error({ signal, graceMs }, 'Sluice stopped: the shutdown grace period ran out; unfinished work resumes on the next start');
      process.exit(1);
    }, graceMs).unref();
    sluice.stop().then(
      () => {
        log.info({ signal, durationMs: Date.now() - started }, 'Sluice stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err, signal }, 'Sluice stopped: the shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
