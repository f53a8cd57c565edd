import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Get, INestApplication, Module, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { configureApp } from '../bootstrap';
import { configureLogging } from '../logging/logger';
import { HealthModule } from './health.module';
import { ReadinessRegistry } from './readiness';

@Controller('api/things')
class ThingsController {
  @Get(':name')
  get(@Param('name') name: string): { name: string } {
    return { name };
  }
}

/** A feature module registering its own check, as the database or bus modules will. */
@Module({ imports: [HealthModule], controllers: [ThingsController] })
class FeatureModule {}

describe('HealthModule', () => {
  let app: INestApplication;
  let readiness: ReadinessRegistry;

  before(async () => {
    // The failing-check test logs a warning by design; keep the test output clean.
    configureLogging({ level: 'silent' });
    const moduleRef = await Test.createTestingModule({ imports: [HealthModule, FeatureModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    configureApp(app);
    await app.init();
    readiness = app.get(ReadinessRegistry);
  });

  after(async () => {
    await app.close();
  });

  it('GET /healthz answers 200 {status: ok} while the process is alive', async () => {
    const res = await request(app.getHttpServer()).get('/healthz').expect(200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  it('GET /readyz is 200 with no checks registered', async () => {
    const res = await request(app.getHttpServer()).get('/readyz').expect(200);
    assert.deepEqual(res.body, { status: 'ok', checks: {} });
  });

  it('GET /readyz flips from 503 to 200 when a check starts passing', async () => {
    let connected = false;
    const remove = readiness.register('database', async () => connected);
    readiness.register('bus', () => true);
    try {
      const down = await request(app.getHttpServer()).get('/readyz').expect(503);
      assert.deepEqual(down.body, {
        status: 'not-ready',
        checks: { database: { ok: false, detail: 'not ready' }, bus: { ok: true, detail: 'ok' } },
      });
      connected = true;
      const up = await request(app.getHttpServer()).get('/readyz').expect(200);
      assert.equal(up.body.status, 'ok');
      assert.deepEqual(up.body.checks.database, { ok: true, detail: 'ok' });
    } finally {
      remove();
      readiness.register('bus', () => true)();
    }
  });

  it('counts a throwing check as not ready without exposing its error', async () => {
    const remove = readiness.register('kube', () => {
      throw new Error('connect ECONNREFUSED https://admin:secret@10.0.0.1:6443');
    });
    try {
      const res = await request(app.getHttpServer()).get('/readyz').expect(503);
      assert.deepEqual(res.body.checks.kube, { ok: false, detail: 'check failed' });
      assert.ok(!res.text.includes('secret'));
    } finally {
      remove();
    }
  });

  it('counts a check that hangs as not ready after the timeout', async () => {
    const remove = readiness.register('slow', () => new Promise<boolean>(() => undefined));
    try {
      const report = await readiness.evaluate(50);
      assert.equal(report.ready, false);
      assert.deepEqual(report.checks.slow, { ok: false, detail: 'timed out after 50 ms' });
    } finally {
      remove();
    }
  });

  it('GET /metrics serves the Prometheus text format with default and HTTP metrics', async () => {
    await request(app.getHttpServer()).get('/api/things/billing-api').expect(200);
    await request(app.getHttpServer()).get('/api/things/checkout').expect(200);
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    assert.match(String(res.headers['content-type']), /^text\/plain;/);
    assert.match(String(res.headers['content-type']), /version=0\.0\.4/);
    assert.match(res.text, /^# HELP process_cpu_user_seconds_total /m);
    assert.match(res.text, /^# TYPE http_request_duration_seconds histogram$/m);
    assert.match(res.text, /^http_request_duration_seconds_count\{method="GET",route="\/api\/things\/:name",status_code="200"\} 2$/m);
    assert.doesNotMatch(res.text, /billing-api/);
  });
});

describe('ReadinessRegistry', () => {
  it('is not ready once the application begins shutting down', async () => {
    const registry = new ReadinessRegistry();
    registry.register('database', () => true);
    assert.equal((await registry.evaluate()).ready, true);
    registry.beforeApplicationShutdown();
    const report = await registry.evaluate();
    assert.equal(report.ready, false);
    assert.deepEqual(report.checks.shutdown, { ok: false, detail: 'shutting down' });
  });

  it('accepts a result with a detail and removes a check through the returned function', async () => {
    const registry = new ReadinessRegistry();
    const remove = registry.register('kube', () => ({ ok: false, detail: 'dry-run target' }));
    assert.deepEqual((await registry.evaluate()).checks.kube, { ok: false, detail: 'dry-run target' });
    remove();
    assert.deepEqual(registry.names(), []);
  });
});
