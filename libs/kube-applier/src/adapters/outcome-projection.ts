import { schemaIdentifier, type SchemaProjection, type StoredEvent } from '@sluice/event-store';
import type { EntityManager } from 'typeorm';
import { KUBE_APPLIER_SCHEMA } from './migrations';

/** The checkpoint of the projection that keeps `outcomes` caught up with the log (and that a rebuild takes over). */
export const OUTCOMES_PROJECTION = 'kube-applier.outcomes';
/**
 * Held shared by every transaction that reports an outcome (the reporter writes the row with its
 * event): a rebuild's swap takes it exclusively, so the copy gets every row the live table has —
 * not only those the live projection had reached, which lags when the server's oldest transaction does.
 */
export const OUTCOMES_WRITERS_LOCK = 'sluice-kube-applier-outcomes-writers';

/** kube-applier's views that are projections of its own log alone (docs/architecture.md §4 "Rebuilding views"). */
export const OUTCOME_TABLES = ['outcomes'] as const;

/** What the projection reads of an event: the stored one, or one about to be appended with its id and time set. */
export type OutcomeEvent = Pick<StoredEvent, 'id' | 'type' | 'data' | 'occurredAt'>;

const SLOTS: Readonly<Record<string, 'started' | 'applied' | 'result'>> = {
  'deploy.started': 'started',
  'deploy.applied': 'applied',
  'deploy.succeeded': 'result',
  'deploy.failed': 'result',
  'deploy.undeployed': 'result',
};

/** The event types that take an outcome slot (`deploy.log`, `preview.applied` and the rest take none). */
export const OUTCOME_TYPES: readonly string[] = [...Object.keys(SLOTS), 'deploy.step'];

export interface OutcomeRow {
  readonly deploy_id: string;
  readonly slot: string;
  readonly type: string;
  readonly event_id: string;
  readonly emitted_at: string;
}

/** The `outcomes` row of an event, every column from the event; null for an event that takes no slot. */
export function outcomeRowOf(e: OutcomeEvent): OutcomeRow | null {
  const data = e.data as { deployId?: string; step?: string; state?: string };
  const slot = e.type === 'deploy.step' ? `step-${data.step}-${data.state}` : SLOTS[e.type];
  if (!slot || typeof data.deployId !== 'string') return null;
  return { deploy_id: data.deployId, slot, type: e.type, event_id: e.id, emitted_at: e.occurredAt };
}

/**
 * Writes the outcome rows of `events` into `schema`'s `outcomes` (the live one or a rebuild's copy):
 * the first event of a (deploy, slot) in log order holds it, as the reporter's insert does.
 * One statement per batch. Answers the keys (`deployId/slot`) it inserted.
 */
export async function writeOutcomes(m: EntityManager, schema: string, events: readonly OutcomeEvent[]): Promise<Set<string>> {
  const rows = new Map<string, OutcomeRow>();
  for (const e of events) {
    const row = outcomeRowOf(e);
    if (row && !rows.has(`${row.deploy_id}/${row.slot}`)) rows.set(`${row.deploy_id}/${row.slot}`, row);
  }
  if (rows.size === 0) return new Set();
  const table = `${schemaIdentifier(schema)}.outcomes`;
  const inserted: Array<{ deploy_id: string; slot: string }> = await m.query(
    `INSERT INTO ${table} (deploy_id, slot, type, event_id, emitted_at)
     SELECT deploy_id, slot, type, event_id, emitted_at FROM json_populate_recordset(null::${table}, $1::json)
     ON CONFLICT (deploy_id, slot) DO NOTHING RETURNING deploy_id, slot`,
    [JSON.stringify([...rows.values()])],
  );
  return new Set(inserted.map((r) => `${r.deploy_id}/${r.slot}`));
}

/** The projection of kube-applier's log into `outcomes` (live, and a rebuild's copy: `ViewRebuild`). */
export const projectOutcomes: SchemaProjection = async (events, manager, schema) => {
  await writeOutcomes(manager, schema, events);
};

/**
 * The outcome events of one deploy in the log past the projection's checkpoint, written into the
 * live `outcomes` (a no-op but for the moments after a rebuild's swap, before the projection caught
 * up: the reporter's check of a slot never misses an event the log has).
 */
export async function catchUpDeploy(m: EntityManager, stream: string, deployId: string): Promise<void> {
  const s = schemaIdentifier(KUBE_APPLIER_SCHEMA);
  const [at]: Array<{ transaction_id: string; global_position: string }> = await m.query(
    `SELECT transaction_id::text AS transaction_id, global_position FROM ${s}.checkpoints WHERE name = $1`,
    [OUTCOMES_PROJECTION],
  );
  // No checkpoint yet: the projection never ran, so no rebuild swapped anything in.
  if (!at) return;
  // The checkpoint as a value: the (transaction_id, global_position) index reads the short tail past it.
  const rows: Array<{ id: string; type: string; data: unknown; occurred_at: Date }> = await m.query(
    `SELECT id, type, data, occurred_at FROM ${s}.events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND stream = $3 AND type = ANY($4) AND data->>'deployId' = $5
      ORDER BY transaction_id, global_position`,
    [at.transaction_id, at.global_position, stream, OUTCOME_TYPES, deployId],
  );
  if (rows.length === 0) return;
  await writeOutcomes(
    m,
    KUBE_APPLIER_SCHEMA,
    rows.map((r) => ({ id: r.id, type: r.type, data: r.data, occurredAt: new Date(r.occurred_at).toISOString() })),
  );
}
