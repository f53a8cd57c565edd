import type { DataSource } from 'typeorm';
import type { DeliveryLedger } from '../../application/recover-missed-deliveries';

/** The delivery ledger on `webhook_ingest.deliveries` and `webhook_ingest.redeliveries`. */
export class PgDeliveryLedger implements DeliveryLedger {
  constructor(private readonly dataSource: DataSource) {}

  async known(guids: readonly string[]): Promise<Set<string>> {
    const rows: Array<{ guid: string }> = await this.dataSource.query(
      `SELECT delivery_id AS guid FROM webhook_ingest.deliveries WHERE delivery_id = ANY($1)
       UNION SELECT guid FROM webhook_ingest.redeliveries WHERE guid = ANY($1)`,
      [guids],
    );
    return new Set(rows.map((r) => r.guid));
  }

  async claimRedelivery(guid: string, githubId: number, event: string): Promise<boolean> {
    // Claimed before asking, so two replicas never both ask.
    const claimed: unknown[] = await this.dataSource.query(
      `INSERT INTO webhook_ingest.redeliveries (guid, github_id, event, outcome) VALUES ($1, $2, $3, 'requested')
       ON CONFLICT (guid) DO NOTHING RETURNING 1`,
      [guid, githubId, event],
    );
    return claimed.length > 0;
  }

  async releaseRedelivery(guid: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM webhook_ingest.redeliveries WHERE guid = $1`, [guid]);
  }
}
