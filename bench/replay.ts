// bench/replay: rebuild every autodeploy read model from N events (issue #24), against a bare
// sequential read of the same events in the same run.
//
// The log: autodeploy's event store (its own schema and migrations) on the test PostgreSQL,
// written with the contracts' event types through `newEvent` (each validated as autodeploy's
// decider would append it), in the shape a real history has: CONFIGS configs registered, then
// deploys round-robin over them, each `deploy.requested` → `deploy.started` → `deploy.applied` →
// `deploy.succeeded` in its config's stream (`config-<name>`), a transaction per batch.
//
// (a) The floor: `SELECT … ORDER BY transaction_id, global_position` in keyset batches (the
//     order the projection reads), rows to objects and nothing else.
// (b) The replay: autodeploy as its module runs (AutodeployModule with its projection, an
//     in-process bus), `POST /api/admin/replay` (ReplayService: a blue/green rebuild of the read
//     models into a copy, swapped in at the end), timed until GET /api/admin/replay/{id} says done.
//     Before the app starts the checkpoint is put at the end, so the log is projected once, by the replay.
//
//   BENCH_REPLAY_EVENTS (default 1,000,000), BENCH_REPLAY_CONFIGS (default 1,000), BENCH_REPLAY_READ_BATCH (default 5,000)
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CONFIG_STREAM_PREFIX, newEvent, type DeployConfigRoot } from '@sluice/contracts';
import { AutodeployModule, autodeployEventStoreOptions, autodeployMigrations, AUTODEPLOY_SCHEMA } from '@sluice/autodeploy';
import { EventStoreModule, openServiceDataSource } from '@sluice/event-store';
import { MessagingModule } from '@sluice/messaging';
import { configureApp, configureLogging } from '@sluice/platform';
import { createTestDatabase } from '@sluice/testing';
import { v7 as uuidv7 } from 'uuid';
import { perSecond, report } from './report';
import { cpuSeconds } from './support/cpu';

const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const CONFIGS = Number(process.env.BENCH_REPLAY_CONFIGS ?? 1_000);
const READ_BATCH = Number(process.env.BENCH_REPLAY_READ_BATCH ?? 5_000);
const WRITE_BATCH = 5_000;
const ADMIN_TOKEN = 'bench-replay-admin-token-0123456789';
const PROJECTION = 'autodeploy.read-models';

interface Row {
  id: string;
  stream: string;
  streamVersion: number;
  type: string;
  version: number;
  data: unknown;
  correlationId: string;
  causationId: string | null;
  occurredAt: string;
}

const hex = (n: number, width = 40) => n.toString(16).padStart(width, '0').slice(-width);

/** The history, in order: every config registered, then 4-event deploys round-robin over the configs. */
function* history(total: number): Generator<Row> {
  const versions = new Array<number>(CONFIGS).fill(0);
  let t = Date.parse('2026-01-01T00:00:00Z');
  const row = (config: number, event: ReturnType<typeof newEvent>, correlationId: string, causationId: string | null): Row => ({
    id: uuidv7(),
    stream: `${CONFIG_STREAM_PREFIX}app-${config}`,
    streamVersion: ++versions[config]!,
    type: event.type,
    version: event.version,
    data: event.data,
    correlationId,
    causationId,
    occurredAt: new Date((t += 37)).toISOString(),
  });
  let n = 0;
  for (let c = 0; c < CONFIGS && n < total; c++, n++) {
    const root: DeployConfigRoot = {
      name: `app-${c}`,
      team: `team-${c % 10}`,
      namespace: `apps-${c % 10}`,
      artifact: { repo: `acme/app-${c}`, image: `ghcr.io/acme/app-${c}`, build: 'ci' },
      track: { branch: 'main' },
      autodeploy: true,
      configRepo: 'acme/deploy-configs',
      path: `deploy/app-${c}`,
    };
    const id = uuidv7();
    yield row(c, newEvent('config.registered', { config: root.name, root: { ...root }, configSha: hex(c + 1) }), id, null);
  }
  for (let d = 0; n < total; d++) {
    const c = d % CONFIGS;
    const config = `app-${c}`;
    const deployId = uuidv7();
    const artifactSha = hex(0x1000000 + d);
    const correlationId = uuidv7();
    const requested = newEvent('deploy.requested', {
      deployId,
      config,
      team: `team-${c % 10}`,
      namespace: `apps-${c % 10}`,
      configRepo: 'acme/deploy-configs',
      path: `deploy/${config}`,
      artifactRepo: `acme/${config}`,
      artifactImage: `ghcr.io/acme/${config}`,
      artifactSha,
      configSha: hex(c + 1),
      imageTag: `main-${artifactSha.slice(0, 7)}`,
      cause: 'autodeploy',
      requestedBy: 'autodeploy',
      reason: `build ci of ${artifactSha.slice(0, 7)} succeeded on main`,
      reappliedFrom: null,
    });
    const inventory = [
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: `apps-${c % 10}`, name: config },
      { apiVersion: 'v1', kind: 'Service', namespace: `apps-${c % 10}`, name: config },
    ];
    const events = [
      requested,
      newEvent('deploy.started', { deployId, config }),
      newEvent('deploy.applied', { deployId, config, dryRun: false, inventory }),
      newEvent('deploy.succeeded', { deployId, config }),
    ];
    let cause: string | null = null;
    for (const e of events) {
      if (n++ >= total) return;
      const r = row(c, e, correlationId, cause);
      cause = r.id;
      yield r;
    }
  }
}

export async function benchReplay(): Promise<boolean> {
  configureLogging({ level: 'warn', service: 'bench-replay' });
  const db = await createTestDatabase('bench_replay');
  const ds = await openServiceDataSource({ url: db.url, schema: AUTODEPLOY_SCHEMA, migrations: [...autodeployMigrations], poolSize: 4 });
  let app: INestApplication | undefined;
  try {
    // The log, a transaction per WRITE_BATCH events (not measured).
    let t = process.hrtime.bigint();
    let batch: Row[] = [];
    let written = 0;
    const flush = async () => {
      if (!batch.length) return;
      const col = <K extends keyof Row>(k: K) => batch.map((r) => r[k]);
      await ds.query(
        `INSERT INTO autodeploy.events (id, stream, stream_version, type, version, data, correlation_id, causation_id, occurred_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[], $6::jsonb[], $7::text[], $8::text[], $9::timestamptz[])`,
        [col('id'), col('stream'), col('streamVersion'), col('type'), col('version'), batch.map((r) => JSON.stringify(r.data)), col('correlationId'), col('causationId'), col('occurredAt')],
      );
      written += batch.length;
      batch = [];
    };
    for (const r of history(EVENTS)) {
      batch.push(r);
      if (batch.length === WRITE_BATCH) await flush();
    }
    await flush();
    await ds.query('ANALYZE autodeploy.events');
    const writeSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    // The read models start caught up: the app's projection has nothing to do until the replay.
    await ds.query(
      `INSERT INTO autodeploy.checkpoints (name, transaction_id, global_position)
       SELECT $1, transaction_id, global_position FROM autodeploy.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1
       ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position`,
      [PROJECTION],
    );

    // (a) The floor: a bare sequential read of the same events, in the projection's order.
    t = process.hrtime.bigint();
    let read = 0;
    for (let after = { tx: '0', pos: '0' }; ; ) {
      const rows: Array<{ transaction_id: string; global_position: string }> = await ds.query(
        `SELECT transaction_id::text, global_position, id, stream, stream_version, type, version, data, correlation_id, causation_id, occurred_at
           FROM autodeploy.events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
          ORDER BY transaction_id, global_position LIMIT ${READ_BATCH}`,
        [after.tx, after.pos],
      );
      if (rows.length === 0) break;
      read += rows.length;
      const last = rows[rows.length - 1]!;
      after = { tx: last.transaction_id, pos: last.global_position };
    }
    const bareRate = perSecond(read, t);
    if (read !== written) throw new Error(`bare read returned ${read} of ${written} events`);

    // (b) The replay, through autodeploy's admin API, until the projection has caught up again.
    @Module({})
    class BenchApp {}
    app = await NestFactory.create(
      {
        module: BenchApp,
        imports: [
          MessagingModule.forRoot({}),
          EventStoreModule.forRoot(autodeployEventStoreOptions(db.url)),
          AutodeployModule.forRoot({ SLUICE_DATA_DIR: '/nonexistent', SLUICE_ADMIN_TOKEN: ADMIN_TOKEN }, { consumerGroup: 'bench-replay' }),
        ],
      },
      { logger: false, abortOnError: false },
    );
    configureApp(app);
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
    const [end]: Array<{ tx: string; pos: string }> = await ds.query(
      `SELECT transaction_id::text AS tx, global_position AS pos FROM autodeploy.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    );
    let replayId = '';
    const caughtUp = async () => {
      const status = await fetch(`${url}/api/admin/replay/${replayId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const body = (await status.json()) as { status: string; error: string | null };
      if (body.status === 'failed') throw new Error(`replay failed: ${body.error}`);
      if (body.status !== 'done') return false;
      const [row]: Array<{ done: boolean }> = await ds.query(
        `SELECT (transaction_id, global_position) >= ($2::xid8, $3::bigint) AS done FROM autodeploy.checkpoints WHERE name = $1`,
        [PROJECTION, end!.tx, end!.pos],
      );
      return row?.done === true;
    };
    // Where the replay's time goes: this process's CPU (the projection runs here), PostgreSQL's, and
    // the database's statement work (pg_stat_database), per event.
    const pgStats = async () => {
      const [row]: Array<Record<string, string>> = await ds.query(
        `SELECT xact_commit, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = current_database()`,
      );
      return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
    };
    const stats0 = await pgStats();
    // PostgreSQL's CPU: the backends connected to this database (the server is shared), per backend.
    const backends = async () => {
      const rows: Array<{ pid: number }> = await ds.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
      return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
    };
    const backends0 = await backends();
    const cpu0 = { node: cpuSeconds(process.pid), postgres: 0 };
    t = process.hrtime.bigint();
    const res = await fetch(`${url}/api/admin/replay`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (res.status !== 202) throw new Error(`POST /api/admin/replay: ${res.status} ${await res.text()}`);
    replayId = ((await res.json()) as { replayId: string }).replayId;
    while (!(await caughtUp())) await new Promise((r) => setTimeout(r, 50));
    const replayRate = perSecond(written, t);
    const replaySeconds = Number(process.hrtime.bigint() - t) / 1e9;
    let backendSeconds = 0;
    for (const [pid, seconds] of await backends()) backendSeconds += seconds - (backends0.get(pid) ?? 0);
    const cpu1 = { node: cpuSeconds(process.pid), postgres: backendSeconds };
    await new Promise((r) => setTimeout(r, 600)); // pg_stat_database is flushed by the backends at most every 500 ms
    const stats1 = await pgStats();
    const [{ configs, deploys }]: Array<{ configs: string; deploys: string }> = await ds.query(
      `SELECT (SELECT count(*) FROM autodeploy.configs) AS configs, (SELECT count(*) FROM autodeploy.deploys WHERE phase = 'succeeded') AS deploys`,
    );
    const expectedDeploys = Math.floor(Math.max(0, written - CONFIGS) / 4);
    if (Number(configs) !== Math.min(CONFIGS, written) || Number(deploys) !== expectedDeploys) {
      throw new Error(`replay rebuilt ${configs} configs and ${deploys} succeeded deploys, expected ${Math.min(CONFIGS, written)} and ${expectedDeploys}`);
    }
    process.stdout.write(`bench replay: wrote ${written.toLocaleString('en-US')} events in ${writeSeconds.toFixed(1)} s (not measured)\n`);
    const perEvent = (k: string) => ((stats1[k]! - stats0[k]!) / written).toFixed(2);
    const cpuPerEvent = (k: 'node' | 'postgres') => `${(((cpu1[k] - cpu0[k]) * 1e6) / written).toFixed(0)} µs (${Math.round(((cpu1[k] - cpu0[k]) / replaySeconds) * 100)}% of a core)`;
    process.stdout.write(
      `bench replay: per event replayed: CPU of this process (the projection) ${cpuPerEvent('node')}, of PostgreSQL (this database's backends) ${cpuPerEvent('postgres')}; ` +
        `commits ${perEvent('xact_commit')}, rows inserted ${perEvent('tup_inserted')}, updated ${perEvent('tup_updated')}, fetched ${perEvent('tup_fetched')}\n`,
    );
    return report(`replay (every autodeploy read model rebuilt from ${written.toLocaleString('en-US')} events: ${CONFIGS} configs, ${expectedDeploys.toLocaleString('en-US')} deploys)`, [
      {
        name: 'replay (POST /api/admin/replay → swapped in)',
        value: replayRate,
        unit: 'events/s',
        baseline: { name: `bare sequential read (${READ_BATCH}-row keyset batches)`, value: bareRate },
        ratioTarget: { op: '>=', value: 0.3 },
        target: { op: '>=', value: 20_000 },
      },
    ]);
  } finally {
    await app?.close();
    await ds.destroy();
    await db.drop();
  }
}
