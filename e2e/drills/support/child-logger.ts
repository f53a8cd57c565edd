// The warn and error lines of a drill's child process, one JSON line each on stderr (its log file).
export const childLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (fields: object, message: string) => process.stderr.write(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), message, ...fields })}\n`),
  error: (fields: object, message: string) => process.stderr.write(`${JSON.stringify({ level: 'error', time: new Date().toISOString(), message, ...fields })}\n`),
};

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Consumer tuning of the drills: a SIGKILLed member is out of its group after 6 s (the broker's minimum). */
export const DRILL_CONSUMER = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 };
