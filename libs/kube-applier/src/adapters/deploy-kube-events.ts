import type { KubeClient } from '@sluice/kube';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import type { InventoryEntry } from '../domain/deploy-config';
import { kubeEventLines, type KubeEvent } from '../domain/kube-events';
import type { OutcomeCause, OutcomePort } from '../application/ports';

/** Which Kubernetes Events each deploy's log has shown, and at which count. */
export class KubeApplierDeployKubeEvents1768000000002 implements MigrationInterface {
  name = 'KubeApplierDeployKubeEvents1768000000002';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE kube_applier.deploy_kube_events (
        deploy_id  uuid NOT NULL,
        uid        text NOT NULL,
        count      integer NOT NULL,
        PRIMARY KEY (deploy_id, uid)
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE kube_applier.deploy_kube_events`);
  }
}

/** At most this many Events per deploy reach its log (a crash-looping Pod must not fill the log). */
const MAX_PER_DEPLOY = 200;

/**
 * Reports the Kubernetes Events of a deploy under way as `deploy.log` (source `kubernetes`) on the
 * config's applier stream, each Event once per count it reaches (`deploy_kube_events` and the
 * report in one transaction), so the deploy's log shows why a rollout stalls (ImagePullBackOff,
 * FailedScheduling, …) as it happens. Called by the reconciler's passes.
 */
export class DeployKubeEvents {
  constructor(
    private readonly kube: KubeClient,
    private readonly dataSource: DataSource,
    private readonly outcomes: OutcomePort,
  ) {}

  async collect(input: { deployId: string; config: string; namespace: string; inventory: readonly InventoryEntry[]; since: string | null; cause?: OutcomeCause }): Promise<number> {
    const list = await this.kube.list({ apiVersion: 'v1', kind: 'Event', namespace: input.namespace });
    const lines = kubeEventLines(list.items as unknown as KubeEvent[], input.inventory, input.since);
    if (lines.length === 0) return 0;
    return this.dataSource.transaction(async (tx) => {
      const [{ shown }] = (await tx.query(`SELECT count(*)::int AS shown FROM kube_applier.deploy_kube_events WHERE deploy_id = $1`, [input.deployId])) as [{ shown: number }];
      const fresh = [];
      for (const line of lines) {
        const rows: unknown[] = await tx.query(
          `INSERT INTO kube_applier.deploy_kube_events (deploy_id, uid, count) SELECT $1, $2, $3 WHERE $4::int < ${MAX_PER_DEPLOY}
           ON CONFLICT (deploy_id, uid) DO UPDATE SET count = EXCLUDED.count WHERE deploy_kube_events.count < EXCLUDED.count RETURNING uid`,
          [input.deployId, line.uid, line.count, shown + fresh.length],
        );
        if (rows.length > 0) fresh.push({ at: line.at, text: line.text });
      }
      await this.outcomes.log(tx, input.deployId, input.config, 'kubernetes', fresh, input.cause);
      return fresh.length;
    });
  }
}
