/** Raised by `publish`/`subscribe` after `close()`: a shutdown race, not a transient fault. */
export class MessageBusClosedError extends Error {
  constructor() {
    super('the message bus is closed');
    this.name = 'MessageBusClosedError';
  }
}

/**
 * A handler error that retrying cannot fix (e.g. a message that is not a valid event):
 * the message is dead-lettered at once instead of after every attempt.
 */
export class PermanentDeliveryError extends Error {
  readonly permanent = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentDeliveryError';
  }
}

export function isPermanentDeliveryError(error: unknown): boolean {
  return (error as { permanent?: unknown } | null)?.permanent === true;
}
