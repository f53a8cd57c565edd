/** Raised by `publish`/`subscribe` after `close()`: a shutdown race, not a transient fault. */
export class MessageBusClosedError extends Error {
  constructor() {
    super('the message bus is closed');
    this.name = 'MessageBusClosedError';
  }
}
