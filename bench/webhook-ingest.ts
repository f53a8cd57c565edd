// bench/webhook-ingest: signed 20 KB push deliveries per second and p99 latency through the
// real stack (the service as main.ts starts it: PostgreSQL transaction per batch of deliveries,
// outbox relay to Kafka, request logging and metrics), each
// figure with its ratio to a floor measured in the same run (issue #24): accepted/s and p99 against
// the durable floor — a bare Node http server that verifies the HMAC and commits one
// `INSERT … ON CONFLICT DO NOTHING` of the delivery per request into a table on the same PostgreSQL,
// through a pool the size of the service's (10) — and bad-signature rejections against the
// HMAC-only floor (verifies the HMAC, stores nothing). Same load generator, in a worker thread
// (support/http-load.ts), not on the server's event loop.
//   BENCH_WEBHOOK_REQUESTS (per measured run), BENCH_WEBHOOK_WARM_UP, BENCH_WEBHOOK_CONCURRENCY,
//   BENCH_WEBHOOK_GROUP_COMMIT_MAX (the service's WEBHOOK_INGEST_GROUP_COMMIT_MAX; 1 turns group commit off),
//   BENCH_WEBHOOK_LOG_LEVEL (the service's LOG_LEVEL, default info: what its request logging costs)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import { Pool } from 'pg';
import { examplePayload } from '@sluice/fake-scm';
import { bootstrapService, loadConfig } from '@sluice/platform';
import { createTestDatabase, kafkaBrokers, uniqueName } from '@sluice/testing';
import { webhookIngestConfigSchema, webhookIngestService } from '@sluice/webhook-ingest';
import { serviceBootstrap } from '@sluice/event-store';
import { report } from './report';
import { cpuSeconds, infraCpu, machineBusySeconds, mainThreadCpuSeconds } from './support/cpu';
import { loadFromWorker, type LoadPhase, type LoadRequest, type LoadResult } from './support/http-load';

const REQUESTS = Number(process.env.BENCH_WEBHOOK_REQUESTS ?? 5_000);
const WARM_UP = Number(process.env.BENCH_WEBHOOK_WARM_UP ?? 500);
const CONCURRENCY = Number(process.env.BENCH_WEBHOOK_CONCURRENCY ?? 50);
/** The service's pool (openServiceDataSource's default). */
const SERVICE_POOL_SIZE = 10;
const SECRET = 'bench-webhook-secret-0123456789';
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** A real push example grown to ~20 KB with more commits, for one of 50 repositories. */
function pushBody(i: number): string {
  const p = examplePayload<Record<string, any>>('push', undefined, 4); // eslint-disable-line @typescript-eslint/no-explicit-any
  const commit = p.head_commit;
  p.repository = { ...p.repository, id: 900_000 + (i % 50), full_name: `bench/repo-${i % 50}`, name: `repo-${i % 50}` };
  p.commits = Array.from({ length: 16 }, (_, n) => ({ ...commit, id: (n.toString(16) + 'a'.repeat(40)).slice(0, 40), message: `change ${n} ${'x'.repeat(400)}` }));
  return JSON.stringify(p);
}

const CPU_PARTS = ['server event loop', 'bench process (server, load generator thread, GC)', 'postgres', 'kafka', 'whole machine'] as const;
type CpuUse = Record<(typeof CPU_PARTS)[number], number>;

function cpuNow(): CpuUse {
  const infra = infraCpu();
  return {
    'server event loop': mainThreadCpuSeconds(),
    'bench process (server, load generator thread, GC)': cpuSeconds(process.pid),
    postgres: infra.postgres!,
    kafka: infra.kafka!,
    'whole machine': machineBusySeconds(),
  };
}

/** A load run with the CPU milliseconds each part spent per request (from the first request to the last answer). */
async function withCpu(requests: number, run: (onPhase: (phase: LoadPhase) => void) => Promise<LoadResult>): Promise<LoadResult & { cpuMs: CpuUse }> {
  let before = cpuNow();
  let after = before;
  const result = await run((phase) => (phase === 'started' ? (before = cpuNow()) : (after = cpuNow())));
  const cpuMs = Object.fromEntries(CPU_PARTS.map((k) => [k, ((after[k] - before[k]) * 1000) / requests])) as CpuUse;
  return { ...result, cpuMs };
}

/**
 * A floor server: read the body, verify the HMAC in constant time, then (durable floor only)
 * `store` the delivery before answering 202. Nothing else.
 */
function bareServer(store?: (deliveryId: string, event: string, signature: string, raw: Buffer) => Promise<unknown>): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const signature = String(req.headers['x-hub-signature-256'] ?? '');
      const expected = Buffer.from(sign(raw.toString('utf8')));
      const given = Buffer.from(signature);
      const ok = given.length === expected.length && timingSafeEqual(given, expected);
      const answer = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (!ok) return answer(401, '{"error":"bad signature"}');
      if (!store) return answer(202, '{"result":"accepted"}');
      store(String(req.headers['x-github-delivery']), String(req.headers['x-github-event']), signature, raw).then(
        () => answer(202, '{"result":"accepted"}'),
        () => answer(503, '{"error":"unavailable"}'),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The durable floor's table and statement: the delivery, raw, unique by its id. */
async function durableStore(url: string): Promise<{ pool: Pool; store: (id: string, event: string, signature: string, raw: Buffer) => Promise<unknown> }> {
  const pool = new Pool({ connectionString: url, max: SERVICE_POOL_SIZE });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS bench_floor`);
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_floor.deliveries (
    delivery_id text PRIMARY KEY, event text NOT NULL, signature text NOT NULL, raw bytea NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`);
  const store = (id: string, event: string, signature: string, raw: Buffer) =>
    pool.query({
      name: 'floor-insert',
      text: 'INSERT INTO bench_floor.deliveries (delivery_id, event, signature, raw) VALUES ($1, $2, $3, $4) ON CONFLICT (delivery_id) DO NOTHING',
      values: [id, event, signature, raw],
    });
  return { pool, store };
}

export async function benchWebhookIngest(): Promise<boolean> {
  const db = await createTestDatabase('bench_webhook');
  // The service as main.ts starts it (logging, health, metrics, its pool and relay), logging at
  // its default level to a file instead of stdout; missed-webhook recovery is off (no GitHub here).
  const logFile = join(tmpdir(), `${uniqueName('bench-webhook-ingest')}.log`);
  const config = loadConfig(webhookIngestConfigSchema, {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    SLUICE_KAFKA_TOPIC_PREFIX: uniqueName('bench-webhook'),
    GITHUB_WEBHOOK_SECRET: SECRET,
    WEBHOOK_RECOVERY_INTERVAL_SECONDS: '0',
    // 1: each delivery its own transaction (the group-commit lever measured off, #24).
    WEBHOOK_INGEST_GROUP_COMMIT_MAX: process.env.BENCH_WEBHOOK_GROUP_COMMIT_MAX ?? '100',
    LOG_LEVEL: process.env.BENCH_WEBHOOK_LOG_LEVEL ?? 'info',
  });
  const app: INestApplication = await bootstrapService({
    ...serviceBootstrap(webhookIngestService),
    config,
    port: 0,
    host: '127.0.0.1',
    logDestination: pino.destination({ dest: logFile, sync: true }),
  });
  const sluiceUrl = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}/webhooks/github`;
  const bare = await bareServer();
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/webhooks/github`;
  const floorDb = await durableStore(db.url);
  const durable = await bareServer(floorDb.store);
  const durableUrl = `http://127.0.0.1:${(durable.address() as AddressInfo).port}/webhooks/github`;
  const bodies = Array.from({ length: 200 }, (_, i) => pushBody(i));
  const signed = bodies.map((b) => sign(b));
  const deliveries = (bad: boolean): LoadRequest[] =>
    bodies.map((body, i) => ({
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'set-per-request',
        'x-hub-signature-256': bad ? sign(body, 'wrong') : signed[i],
      },
    }));
  const load = (url: string, total: number, bad = false) => (onPhase?: (phase: LoadPhase) => void) =>
    loadFromWorker({ url, total, concurrency: CONCURRENCY, requests: deliveries(bad) }, onPhase);
  try {
    // Warm-up of both (JIT, connection pools).
    await load(bareUrl, WARM_UP)();
    await load(durableUrl, WARM_UP)();
    await load(sluiceUrl, WARM_UP)();
    const baseline = await withCpu(REQUESTS, load(bareUrl, REQUESTS));
    const floor = await withCpu(REQUESTS, load(durableUrl, REQUESTS));
    const accepted = await withCpu(REQUESTS, load(sluiceUrl, REQUESTS));
    const bareRejected = await withCpu(REQUESTS, load(bareUrl, REQUESTS, true));
    const rejected = await withCpu(REQUESTS, load(sluiceUrl, REQUESTS, true));
    if (floor.statuses[202] !== REQUESTS) throw new Error(`durable floor: not all accepted: ${JSON.stringify(floor.statuses)}`);
    if (accepted.statuses[202] !== REQUESTS) throw new Error(`not all accepted: ${JSON.stringify(accepted.statuses)}`);
    if (rejected.statuses[401] !== REQUESTS) throw new Error(`not all rejected: ${JSON.stringify(rejected.statuses)}`);
    const met = report(`webhook-ingest (${REQUESTS} signed ${Math.round(bodies[0].length / 1024)} KB pushes, concurrency ${CONCURRENCY})`, [
      { name: 'accepted deliveries', value: accepted.perSecond, unit: '/s', baseline: { name: 'durable floor (HMAC + INSERT)', value: floor.perSecond }, ratioTarget: { op: '>=', value: 0.7 } },
      { name: 'p99 latency (accepted)', value: accepted.p99, unit: 'ms', baseline: { name: 'durable floor (HMAC + INSERT)', value: floor.p99 }, target: { op: '<=', value: 100 } },
      { name: 'p50 latency (accepted)', value: accepted.p50, unit: 'ms', baseline: { name: 'durable floor (HMAC + INSERT)', value: floor.p50 } },
      { name: 'bad-signature rejections', value: rejected.perSecond, unit: '/s', baseline: { name: 'HMAC-only server', value: bareRejected.perSecond }, ratioTarget: { op: '>=', value: 0.7 } },
      { name: 'durable floor accepted', value: floor.perSecond, unit: '/s', baseline: { name: 'HMAC-only server', value: baseline.perSecond } },
    ]);
    // Where the CPU went: a rate is bounded by the busiest part and by the whole machine.
    const runs = { 'HMAC-only, signed': baseline, 'durable floor, signed': floor, 'Sluice, accepted': accepted, 'HMAC-only, bad signature': bareRejected, 'Sluice, rejected': rejected };
    process.stdout.write(
      [
        `CPU ms per request (${cpus().length} cores; ${CPU_PARTS.join(' / ')}):`,
        ...Object.entries(runs).map(([name, r]) => `  ${name}: ${CPU_PARTS.map((k) => r.cpuMs[k].toFixed(3)).join(' / ')}`),
        '',
      ].join('\n'),
    );
    return met;
  } finally {
    await app.close();
    await new Promise((r) => bare.close(r));
    await new Promise((r) => durable.close(r));
    await floorDb.pool.end();
    await db.drop();
    rmSync(logFile, { force: true });
  }
}
