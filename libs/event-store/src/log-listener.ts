import { Client } from 'pg';
import { backoffWithJitter } from './log-subscription';

/** The first reconnect of a lost LISTEN connection; doubled with jitter up to 10 s. */
const RECONNECT_BASE_MS = 200;

/**
 * Wakes subscriptions when an append commits (NOTIFY is delivered on commit), so they
 * need not poll tightly. Optional: polling alone is correct, this only lowers latency.
 * Uses its own connection, and connects again (with backoff) when that one is lost, waking the
 * subscriptions once it listens again (a NOTIFY sent meanwhile went nowhere). Not for the
 * embedded database's single connection.
 */
export class LogListener {
  private client: Client | null = null;
  private stopped = false;
  private reconnect: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotify: () => void,
  ) {}

  /** Listening now (false while a lost connection is being replaced). */
  get listening(): boolean {
    return this.client !== null;
  }

  /** Connects and listens; rejects when the first connection fails (the caller then polls). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    this.reconnect = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: `sluice-listen-${this.channel}` });
    client.on('notification', () => this.onNotify());
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${JSON.stringify(this.channel)}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.attempts = 0;
  }

  /** The connection ended without stop(): listen again after a backoff. */
  private lost(client: Client): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnect) return;
    this.reconnect = setTimeout(() => {
      this.reconnect = null;
      this.connect().then(
        () => {
          if (this.client) this.onNotify();
        },
        () => this.scheduleReconnect(),
      );
    }, backoffWithJitter(++this.attempts, RECONNECT_BASE_MS));
  }
}
