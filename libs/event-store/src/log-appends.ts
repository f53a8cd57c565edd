/** A log reader's fallback poll while each append is announced to it. */
const LISTENING_POLL_MS = 1_000;

/**
 * The announcements of a service's log (each committed append's NOTIFY, through the
 * EventStoreModule's LogListener), for readers of the log besides the outbox relay, e.g. a
 * projection: woken by them, it need only poll as a fallback. With the embedded database (no
 * LISTEN connection) nothing is announced and `listening` stays false.
 */
export class LogAppends {
  private readonly readers = new Set<() => void>();
  private source: { readonly listening: boolean } | null = null;

  /** Calls `wake` on every announced append; returns the unsubscribe. */
  subscribe(wake: () => void): () => void {
    this.readers.add(wake);
    return () => void this.readers.delete(wake);
  }

  /** Appends are announced now (a lost LISTEN connection is being replaced otherwise). */
  get listening(): boolean {
    return this.source?.listening === true;
  }

  /**
   * A reader's poll interval (`LogSubscriptionOptions.pollIntervalMs`): a 1 s fallback while
   * appends are announced, `unannounced` when they are not (no LISTEN, or it is reconnecting).
   */
  pollInterval(unannounced: number): () => number {
    return () => (this.listening ? LISTENING_POLL_MS : unannounced);
  }

  /** For the module that listens: where announcements come from, and each one. */
  listenWith(source: { readonly listening: boolean } | null): void {
    this.source = source;
  }

  announce(): void {
    for (const wake of this.readers) wake();
  }
}
