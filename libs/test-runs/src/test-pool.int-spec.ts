import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Test } from '@nestjs/testing';
import { TOKEN_AUTHENTICATOR, type Principal } from '@sluice/auth';
import { unitOfWorkOf, type Transaction } from '@sluice/event-store';
import { configureApp } from '@sluice/platform';
import type { KubeClient, KubeObject } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace } from '@sluice/kube/testing';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import { DataSource } from 'typeorm';
import request from 'supertest';
import { KubeTestJobs } from './adapters/kube-test-jobs';
import { TEST_POOL_SIZE, TEST_RUN_STORE, TestRunsController } from './adapters/test-runs.controller';
import { finishTestPod } from './testing';
import { testRunMigrations } from './adapters/migrations';
import { PgTestRunStore } from './adapters/pg-test-run-store';
import type { TestReports } from './application/ports';
import { TestPool } from './application/test-pool';
import type { TestRun } from './domain/test-run';

/**
 * The test-server pool on real PostgreSQL and a real kube-apiserver with its Job controller
 * (kube-controller-manager): the test plays the node, finishing each test Pod.
 */
const SCHEMA = 'pool';
const quiet = { info: () => undefined, warn: () => undefined };

describe('the test-server pool', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  let ds: DataSource;
  let kube: KubeClient;
  let ns: string;
  let store: PgTestRunStore;
  const reported: string[] = [];
  const reports: TestReports = {
    started: async (run) => void reported.push(`${run.config}:started`),
    ended: async (_tx: Transaction, run, state) => void reported.push(`${run.config}:${state}`),
  };
  const pool = (owner: string, leaseMs = 60_000) => new TestPool(store, new KubeTestJobs(kube), reports, unitOfWorkOf(ds), { size: 2, owner, leaseMs, graceMs: 30_000 }, quiet);
  const queue = (tx: Transaction, config: string, team = 'payments') =>
    store.enqueue(tx, { id: randomUUID(), deployId: randomUUID(), config, team, namespace: ns, deployedImage: `ghcr.io/acme/${config}:main-1234567`, tests: { image: 'ghcr.io/acme/tests:1', command: ['npm', 'test'], timeoutSeconds: 120 } });
  const enqueue = (config: string, team = 'payments') => unitOfWorkOf(ds).transact((tx) => queue(tx, config, team));
  const runOf = async (config: string): Promise<TestRun> => (await store.open(null)).find((r) => r.config === config)!;



  before(async () => {
    database = await createTestDatabase('pool');
    ds = new DataSource({ type: 'postgres', url: database.url, migrations: testRunMigrations(SCHEMA) });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${SCHEMA}`);
    await ds.runMigrations();
    store = new PgTestRunStore(unitOfWorkOf(ds), SCHEMA);
    kube = adminClient();
    ns = await createTestNamespace(kube, 'tests');
  });

  after(async () => {
    if (ns) await deleteTestNamespace(kube, ns);
    await ds?.destroy();
    await database?.drop();
  });

  it('2 slots, 5 runs queued in order: two run, three wait with their positions; each end starts the next, in order', async () => {
    for (const config of ['t1', 't2', 't3', 't4', 't5']) await enqueue(config);
    const runner = pool('runner-a');
    await runner.tick();
    const open = await store.open(null);
    assert.deepEqual(open.map((r) => [r.config, r.state, r.position]), [
      ['t1', 'running', null],
      ['t2', 'running', null],
      ['t3', 'queued', 1],
      ['t4', 'queued', 2],
      ['t5', 'queued', 3],
    ]);
    const jobs = await kube.list<KubeObject>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns });
    assert.equal(jobs.items.length, 2, 'a Job per running test run');
    const job = jobs.items.find((j) => j.metadata.labels?.['sluice.dev/config'] === 't1') as KubeObject & { spec: { activeDeadlineSeconds: number; template: { spec: { containers: Array<{ command: string[]; env: Array<{ name: string; value: string }> }> } } } };
    assert.equal(job.spec.activeDeadlineSeconds, 120);
    assert.deepEqual(job.spec.template.spec.containers[0]!.command, ['npm', 'test']);
    assert.ok(job.spec.template.spec.containers[0]!.env.some((e) => e.name === 'SLUICE_IMAGE' && e.value === 'ghcr.io/acme/t1:main-1234567'));

    // t1 passes, t2 fails: t3 and t4 take their slots, in queue order.
    await finishTestPod(kube, ns, (await runOf('t1')).id, 'Succeeded');
    await finishTestPod(kube, ns, (await runOf('t2')).id, 'Failed');
    await waitUntil(
      async () => {
        await runner.tick();
        return reported.includes('t1:passed') && reported.includes('t2:failed');
      },
      { timeoutMs: 60_000, message: 't1 and t2 ended' },
    );
    await runner.tick();
    assert.deepEqual((await store.open(null)).map((r) => [r.config, r.state, r.position]), [
      ['t3', 'running', null],
      ['t4', 'running', null],
      ['t5', 'queued', 1],
    ]);
    for (const config of ['t3', 't4']) await finishTestPod(kube, ns, (await runOf(config)).id, 'Succeeded');
    await waitUntil(
      async () => {
        await runner.tick();
        return reported.includes('t5:started');
      },
      { timeoutMs: 60_000, message: 't5 started' },
    );
    await finishTestPod(kube, ns, (await runOf('t5')).id, 'Succeeded');
    await waitUntil(
      async () => {
        await runner.tick();
        return reported.includes('t5:passed');
      },
      { timeoutMs: 60_000, message: 't5 passed' },
    );
    assert.deepEqual(reported.filter((r) => r.endsWith(':started')), ['t1:started', 't2:started', 't3:started', 't4:started', 't5:started'], 'first in, first run');
    assert.deepEqual(await store.open(null), [], 'every slot free again');
  });

  it('a runner that dies holding a slot leaks nothing: after its lease another takes the run over, follows the same Job, ends it', async () => {
    reported.length = 0;
    await enqueue('c1');
    await pool('dies', 1_000).tick(); // takes the slot and starts the Job, then is never heard of again
    const survivor = pool('survivor', 60_000);
    await survivor.tick();
    assert.equal((await store.open(null)).find((r) => r.config === 'c1')?.state, 'running', 'the dead runner still holds it until its lease expires');
    await new Promise((r) => setTimeout(r, 1_200));
    await finishTestPod(kube, ns, (await runOf('c1')).id, 'Succeeded');
    await waitUntil(
      async () => {
        await survivor.tick();
        return reported.includes('c1:passed');
      },
      { timeoutMs: 60_000, message: 'the survivor ends c1' },
    );
    const jobs = (await kube.list<KubeObject>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns })).items.filter((j) => j.metadata.labels?.['sluice.dev/config'] === 'c1');
    assert.equal(jobs.length, 1, 'the same Job, not a second one');
    assert.deepEqual(reported, ['c1:started', 'c1:passed']);
  });

  it('GET /api/test-runs answers the running runs and the queue with positions, first in first; a team token sees its own runs', async () => {
    const tokens: Record<string, Principal> = { 'admin-token': { kind: 'admin' }, 'payments-token': { kind: 'team', team: 'payments' }, 'web-token': { kind: 'team', team: 'web' } };
    const moduleRef = await Test.createTestingModule({
      controllers: [TestRunsController],
      providers: [
        { provide: TEST_RUN_STORE, useValue: store },
        { provide: TEST_POOL_SIZE, useValue: 2 },
        { provide: TOKEN_AUTHENTICATOR, useValue: { authenticate: async (token: string) => tokens[token] ?? null } },
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    configureApp(app);
    await app.init();
    try {
      assert.deepEqual(await store.open(null), [], 'nothing open before');
      for (const [config, team] of [['h1', 'payments'], ['h2', 'web'], ['h3', 'payments'], ['h4', 'web'], ['h5', 'payments'], ['h6', 'web']] as const) await enqueue(config, team);
      await pool('http-runner').tick();
      type Body = { slots: number; running: Array<{ config: string; team: string; state: string; position: number | null; startedAt: string | null }>; queued: Array<{ config: string; team: string; state: string; position: number | null; startedAt: string | null; queuedAt: string }> };
      const get = async (token: string) => (await request(app.getHttpServer()).get('/api/test-runs').set('authorization', `Bearer ${token}`).expect(200)).body as Body;

      const all = await get('admin-token');
      assert.equal(all.slots, 2);
      assert.deepEqual(all.running.map((r) => [r.config, r.state, r.position]), [['h1', 'running', null], ['h2', 'running', null]]);
      assert.ok(all.running.every((r) => r.startedAt !== null));
      assert.deepEqual(all.queued.map((r) => [r.config, r.state, r.position]), [['h3', 'queued', 1], ['h4', 'queued', 2], ['h5', 'queued', 3], ['h6', 'queued', 4]], 'positions 1..n, first in first');
      assert.ok(all.queued.every((r, i) => r.startedAt === null && (i === 0 || r.queuedAt >= all.queued[i - 1]!.queuedAt)));

      // A team sees only its own runs; a queued run keeps its place in the one shared queue.
      const payments = await get('payments-token');
      assert.equal(payments.slots, 2);
      assert.deepEqual(payments.running.map((r) => [r.config, r.team]), [['h1', 'payments']]);
      assert.deepEqual(payments.queued.map((r) => [r.config, r.team, r.position]), [['h3', 'payments', 1], ['h5', 'payments', 3]]);
      const web = await get('web-token');
      assert.deepEqual(web.running.map((r) => r.config), ['h2']);
      assert.deepEqual(web.queued.map((r) => [r.config, r.position]), [['h4', 2], ['h6', 4]]);

      await request(app.getHttpServer()).get('/api/test-runs').expect(401);
      await request(app.getHttpServer()).get('/api/test-runs').set('authorization', 'Bearer nobody').expect(401);
    } finally {
      await app.close();
    }
  });

  it('runs queued in the same instant are taken in queue order, not in the order the database returns them', async () => {
    await ds.query(`UPDATE ${SCHEMA}.test_runs SET state = 'passed' WHERE state IN ('queued', 'running')`);
    const configs = Array.from({ length: 16 }, (_, i) => `same-${String(i).padStart(2, '0')}`);
    // One transaction: every run has the same queued_at (now() is the transaction's start).
    await unitOfWorkOf(ds).transact(async (tx) => {
      for (const config of configs) await queue(tx, config);
    });
    assert.equal(new Set((await store.open(null)).map((r) => r.queuedAt)).size, 1, 'one instant');
    assert.deepEqual((await store.acquire('same-instant', configs.length, 60_000)).map((r) => r.config), configs);
  });
});
