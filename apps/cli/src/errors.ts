/** Exit codes: 0 done, 1 the request failed (the API said no, or Sluice is unreachable), 2 bad usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad arguments or settings: exit 2. */
export class UsageError extends Error {}

/** The API answered an error: its message is shown as written; exit 1. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Not a refusal but a failure the user asked to wait for (a deploy that failed): exit 1. */
export class CommandFailed extends Error {}
