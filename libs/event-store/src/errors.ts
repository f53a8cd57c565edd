/**
 * The stream moved on since the caller read it (a unique-key violation on
 * (stream, stream_version), or the expected version does not exist yet). Reload and retry.
 */
export class ConcurrencyError extends Error {
  constructor(
    readonly stream: string,
    readonly expectedVersion: number | 'any',
    message = `stream "${stream}" is not at version ${expectedVersion}`,
  ) {
    super(message);
    this.name = 'ConcurrencyError';
  }
}

export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown): error is { code: string; constraint?: string } {
  const e = error as { code?: string; driverError?: { code?: string } };
  return e?.code === UNIQUE_VIOLATION || e?.driverError?.code === UNIQUE_VIOLATION;
}
