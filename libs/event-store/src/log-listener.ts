import { Client } from 'pg';

/**
 * Wakes subscriptions when an append commits (NOTIFY is delivered on commit), so they
 * need not poll tightly. Optional: polling alone is correct, this only lowers latency.
 * Uses its own connection; not for the embedded database's single connection.
 */
export class LogListener {
  private client: Client | null = null;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotify: () => void,
  ) {}

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: `sluice-listen-${this.channel}` });
    client.on('notification', () => this.onNotify());
    // A lost connection only costs latency; the subscriptions keep polling.
    client.on('error', () => undefined);
    await client.connect();
    await client.query(`LISTEN ${JSON.stringify(this.channel)}`);
    this.client = client;
  }

  async stop(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
