import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { applierStream, newEvent } from '@sluice/contracts';
import { openServiceDataSource, SERVICE_DATA_SOURCE, ViewRebuild, type StoredEvent } from '@sluice/event-store';
import { waitUntil } from '@sluice/testing';
import type { DataSource, EntityManager } from 'typeorm';
import { KUBE_APPLIER_SCHEMA, kubeApplierMigrations } from './adapters/migrations';
import { OUTCOME_TABLES, OUTCOMES_PROJECTION, OUTCOMES_WRITERS_LOCK, projectOutcomes } from './adapters/outcome-projection';
import { OutcomeReporter } from './adapters/outcome-reporter';
import { KubeApplierRuntime } from './adapters/runtime';
import { InMemorySpecSource } from './adapters/spec-sources';
import { outcomesOf, publish, request, sha, startKubeApplier, type Harness } from './testing/harness';

/*
 * Replay of kube-applier's views (issue #23): `outcomes` is a projection of its own log (the
 * applier-* streams), so a blue/green rebuild from the log gives the live rows byte for byte
 * (to_jsonb text), on the real PostgreSQL; the live table answers while the copy is built.
 */

const ADMIN = 'kube-applier-replay-admin-token-for-tests-0123456789';
const C1 = sha('c');
const specs = new InMemorySpecSource().put('acme/config', C1, [
  { path: 'deploy/web/deploy.yaml', content: 'team: payments' },
  { path: 'deploy/web/app.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\ndata: { a: "1" }\n' },
]);

/** Every row of `outcomes` (live, or in `schema`), as its to_jsonb text, by primary key. */
async function dump(ds: DataSource, schema = KUBE_APPLIER_SCHEMA): Promise<string[]> {
  const rows: Array<{ r: string }> = await ds.query(`SELECT to_jsonb(t)::text AS r FROM "${schema}".outcomes t ORDER BY deploy_id, slot`);
  return rows.map((row) => row.r);
}

async function schemasLeft(ds: DataSource): Promise<string[]> {
  const rows: Array<{ n: string }> = await ds.query(`SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE 'kube\\_applier\\_%' ORDER BY 1`);
  return rows.map((r) => r.n);
}

const step = (name: 'render' | 'check-image', state: 'started' | 'done' | 'skipped') =>
  ({ type: 'deploy.step', step: name, state, result: state === 'done' ? '1 object' : null, error: null, childId: null, startedAt: null, endedAt: null }) as const;

describe('kube-applier replay: outcomes rebuilt from the log', () => {
  let h: Harness;
  let ds: DataSource;
  let runtime: KubeApplierRuntime;
  let base: string;
  const post = (path: string, token: string | null = ADMIN) => fetch(`${base}${path}`, { method: 'POST', headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  const get = (path: string, token: string | null = ADMIN) => fetch(`${base}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  /** A scripted history on the live path (the reporter): every kind of outcome, refusals, and events that take no slot. */
  async function script(reporter: OutcomeReporter, configs: readonly string[], perConfig: number): Promise<string[]> {
    const ids: string[] = [];
    for (const config of configs) {
      for (let i = 0; i < perConfig; i++) {
        const id = randomUUID();
        ids.push(id);
        assert.equal(await reporter.report(id, config, { type: 'deploy.started' }), true);
        await reporter.report(id, config, step('check-image', 'skipped'));
        await reporter.report(id, config, step('render', 'done'));
        await ds.transaction((m) => reporter.log(m, id, config, 'kubernetes', [{ at: null, text: `pulled image for ${config} #${i}` }]));
        if (i % 4 === 3) {
          assert.equal(await reporter.report(id, config, { type: 'deploy.failed', reason: 'render-failed', message: 'no such file', terminal: true }), true);
          continue;
        }
        await reporter.report(id, config, { type: 'deploy.applied', dryRun: true, inventory: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'payments', name: config }] });
        // A redelivered request after the apply: no late "started" (nor a row for it).
        assert.equal(await new OutcomeReporter(ds, h.store).report(id, config, { type: 'deploy.started' }), false);
        assert.equal(await reporter.report(id, config, i % 4 === 2 ? { type: 'deploy.undeployed' } : { type: 'deploy.succeeded' }), true);
        // A second result is refused (another replica: not from the cache).
        assert.equal(await new OutcomeReporter(ds, h.store).report(id, config, { type: 'deploy.failed', reason: 'x', message: 'y', terminal: false }), false);
      }
      await h.store.append(applierStream(config), 'any', [
        newEvent('preview.applied', {
          previewId: randomUUID(), config, team: 'payments', repo: 'acme/web', pr: 7, headSha: sha('7'), namespace: 'previews', name: `${config}-pr-7`, slot: 1, ok: true, message: 'applied', url: null, objects: 1,
        }),
      ]);
    }
    return ids;
  }

  before(async () => {
    h = await startKubeApplier({ env: { KUBE_APPLIER_TARGET: 'dry-run', SLUICE_ADMIN_TOKEN: ADMIN }, module: { specSource: specs }, http: true });
    base = `http://127.0.0.1:${((h.app.getHttpServer() as Server).address() as AddressInfo).port}`;
    ds = h.app.get<DataSource>(SERVICE_DATA_SOURCE);
    runtime = h.app.get(KubeApplierRuntime);
  });
  after(async () => {
    await h?.close();
  });

  it('POST /api/admin/replay/kube-applier rebuilds outcomes equal to the live rows, row for row (admin only)', async () => {
    // A deploy through the whole service (Kafka, the dry-run target), and a scripted history.
    const deployed = await publish(h.bus, request({ config: 'web', namespace: 'payments', artifactSha: sha('1'), configSha: C1 }));
    await waitUntil(async () => (await outcomesOf(h.store, 'web', deployed)).some((o) => o.type === 'deploy.succeeded'), { message: 'deploy.succeeded' });
    await script(runtime.outcomes, ['web', 'api', 'worker'], 8);

    const live = await dump(ds);
    assert.ok(live.length > 100, `${live.length} rows`);
    // Every column from the event: emitted_at is its occurredAt, event_id its id.
    const [mismatched]: Array<{ n: number }> = await ds.query(
      `SELECT count(*)::int AS n FROM kube_applier.outcomes o LEFT JOIN kube_applier.events e ON e.id = o.event_id
        WHERE e.id IS NULL OR e.occurred_at <> o.emitted_at OR e.type <> o.type OR e.data->>'deployId' <> o.deploy_id::text`,
    );
    assert.equal(mismatched!.n, 0);

    assert.equal((await post('/api/admin/replay/kube-applier', null)).status, 401);
    const started = await post('/api/admin/replay/kube-applier');
    assert.equal(started.status, 202);
    const status = (await started.json()) as { replayId: string; requestedBy: string; status: string; total: number };
    assert.equal(status.requestedBy, 'admin');
    assert.ok(status.total >= live.length, `total ${status.total}`);
    let last: { status: string; processed: number; total: number; error: string | null } = { status: 'running', processed: 0, total: 0, error: null };
    await waitUntil(async () => {
      const res = await get(`/api/admin/replay/kube-applier/${status.replayId}`);
      assert.equal(res.status, 200);
      last = (await res.json()) as typeof last;
      return last.status !== 'running';
    }, { message: 'replay done' });
    assert.equal(last.status, 'done', String(last.error));
    assert.equal(last.processed, last.total);

    assert.deepEqual(await dump(ds), live, 'the rebuilt outcomes equal the live ones, byte for byte');
    assert.deepEqual(await schemasLeft(ds), [], 'no copy or retired schema left');
    assert.equal((await get(`/api/admin/replay/kube-applier/${randomUUID()}`)).status, 404);
    assert.equal((await get('/api/admin/replay/kube-applier/not-a-uuid')).status, 400);
  });

  it('the live table serves and takes reports mid-rebuild; rows the log has past the checkpoint are never reported twice', async () => {
    // The rebuild on a pool of its own (as another replica's): the app's small pool keeps serving.
    const other = await openServiceDataSource({ url: h.db.url, schema: KUBE_APPLIER_SCHEMA, migrations: kubeApplierMigrations, poolSize: 3 });
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let batches = 0;
      const rebuild = new ViewRebuild(other, {
        schema: KUBE_APPLIER_SCHEMA,
        checkpoint: OUTCOMES_PROJECTION,
        tables: OUTCOME_TABLES,
        writersLock: OUTCOMES_WRITERS_LOCK,
        batchSize: 20,
        project: async (events: readonly StoredEvent[], m: EntityManager, schema: string) => {
          if (++batches === 2) await gate;
          await projectOutcomes(events, m, schema);
        },
      });
      // The live projection is held back (caught up first): what is reported mid-rebuild lies past its checkpoint.
      await runtime.replay.projection.stop();
      await runtime.replay.projection.catchUp();
      const before = await dump(ds);
      const { status, finished } = await rebuild.start('admin');
      assert.equal(status.status, 'running');
      await waitUntil(() => batches >= 2, { message: 'the rebuild under way' });

      // Mid-rebuild: the live table answers, and the live path goes on writing into it.
      assert.deepEqual(await dump(ds), before);
      await script(new OutcomeReporter(ds, h.store), ['late'], 2);
      const expected = await dump(ds);
      assert.ok(expected.length > before.length);
      assert.equal((await rebuild.status(status.rebuildId))!.status, 'running');
      release();
      await finished;
      assert.equal((await rebuild.status(status.rebuildId))!.status, 'done');
      // The swap took every committed report, past the held-back checkpoint too: the rows are there at once.
      assert.deepEqual(await dump(ds), expected, 'the rebuilt outcomes with the reports made mid-rebuild');
      runtime.replay.projection.start();
      assert.deepEqual(await schemasLeft(ds), []);

      // What a swap leaves when reports commit between the copy's last read and the swap: rows
      // the log has past the checkpoint, not yet in the new table. Another replica reporting
      // those slots finds them in the log: nothing is reported twice, the rows come back as they were.
      await runtime.replay.projection.stop();
      await runtime.replay.projection.catchUp();
      const [gap] = await script(new OutcomeReporter(ds, h.store), ['gap'], 1);
      const rowsOf = async () => ((await ds.query(`SELECT to_jsonb(t)::text AS r FROM kube_applier.outcomes t WHERE deploy_id = $1 ORDER BY slot`, [gap])) as Array<{ r: string }>).map((r) => r.r);
      const kept = await rowsOf();
      assert.equal(kept.length, 5);
      await ds.query(`DELETE FROM kube_applier.outcomes WHERE deploy_id = $1`, [gap]);
      const again = new OutcomeReporter(ds, h.store);
      assert.equal(await again.report(gap!, 'gap', { type: 'deploy.succeeded' }), false);
      assert.equal(await again.report(gap!, 'gap', step('render', 'done')), false);
      assert.equal(await again.report(gap!, 'gap', { type: 'deploy.started' }), false);
      assert.deepEqual(await rowsOf(), kept);
      const reported: unknown[] = await ds.query(`SELECT 1 FROM kube_applier.events WHERE stream = $1 AND type <> 'deploy.log' AND data->>'deployId' = $2`, [applierStream('gap'), gap]);
      assert.equal(reported.length, 5, 'started, two steps, applied, succeeded: none twice');
    } finally {
      runtime.replay.projection.start();
      await other.destroy();
    }
  });
});
