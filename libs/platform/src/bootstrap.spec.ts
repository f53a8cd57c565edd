import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Body, Controller, DynamicModule, Get, INestApplication, Inject, Module, Post, Req } from '@nestjs/common';
import request from 'supertest';
import { bootstrapService } from './bootstrap';
import { CommonConfig, loadServiceConfig } from './config/config';
import { SLUICE_CONFIG } from './config/config.module';
import { HealthModule } from './health/health.module';
import { NotFoundError } from './http/errors';
import { createLogger } from './logging/logger';

@Controller('api/demo')
class DemoController {
  private readonly log = createLogger('demo');
  constructor(@Inject(SLUICE_CONFIG) private readonly config: CommonConfig) {}

  @Get()
  demo(): { dataDir: string } {
    this.log.info('handling demo');
    return { dataDir: this.config.SLUICE_DATA_DIR };
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundError('no such demo');
  }
}

@Module({ imports: [HealthModule], controllers: [DemoController] })
class DemoModule {
  static forRoot(_config: CommonConfig): DynamicModule {
    return { module: DemoModule };
  }
}

describe('bootstrapService', () => {
  let app: INestApplication;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    const sink = new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const config = loadServiceConfig({}, { SLUICE_DATA_DIR: '/tmp/sluice-demo', LOG_LEVEL: 'info' });
    app = await bootstrapService({ name: 'demo', module: (c: CommonConfig) => DemoModule.forRoot(c), config, port: 0, logDestination: sink });
  });

  after(async () => {
    await app.close();
  });

  it('listens on the loopback address by default and logs it', () => {
    const address = (app.getHttpServer() as Server).address() as AddressInfo;
    assert.equal(address.address, '127.0.0.1');
    const listening = lines.find((l) => l.msg === 'listening');
    assert.equal(listening?.port, address.port);
    assert.equal(listening?.service, 'demo');
  });

  it('bounds how long a client may take to send its request', () => {
    const server = app.getHttpServer() as Server;
    assert.equal(server.headersTimeout, 10_000);
    assert.equal(server.requestTimeout, 30_000);
  });

  it('provides the config under SLUICE_CONFIG and serves health endpoints', async () => {
    const res = await request(app.getHttpServer()).get('/api/demo').expect(200);
    assert.deepEqual(res.body, { dataDir: '/tmp/sluice-demo' });
    await request(app.getHttpServer()).get('/healthz').expect(200);
  });

  it('correlates the log lines of a request with its x-correlation-id', async () => {
    const res = await request(app.getHttpServer()).get('/api/demo').set('x-correlation-id', 'corr-123').set('authorization', 'Bearer top-secret-token').expect(200);
    assert.equal(res.headers['x-correlation-id'], 'corr-123');
    const handling = lines.find((l) => l.msg === 'handling demo' && l.correlationId === 'corr-123');
    assert.ok(handling, 'the handler log line carries the correlation id');
    assert.equal(handling.service, 'demo');
    const completed = lines.find((l) => l.msg === 'request completed' && l.correlationId === 'corr-123');
    assert.ok(completed, 'the request log line carries the correlation id');
    assert.ok(!JSON.stringify(lines).includes('top-secret-token'));
  });

  it('ends each request with one line: method, url, status and time, no headers; warn for a 4xx; none for probes', async () => {
    await request(app.getHttpServer()).get('/api/demo/missing').set('x-correlation-id', 'corr-404').set('authorization', 'Bearer another-secret').set('user-agent', 'GitHub-Hookshot/1').expect(404);
    await request(app.getHttpServer()).get('/healthz').set('x-correlation-id', 'corr-probe').expect(200);
    await new Promise((r) => setImmediate(r));
    const ended = lines.filter((l) => l.correlationId === 'corr-404' && l.msg === 'request completed');
    assert.equal(ended.length, 1);
    const [line] = ended;
    assert.equal(line.level, 'warn');
    assert.deepEqual(line.req, { method: 'GET', url: '/api/demo/missing', userAgent: 'GitHub-Hookshot/1' });
    assert.deepEqual(line.res, { statusCode: 404 });
    assert.equal(typeof line.responseTime, 'number');
    assert.ok(!JSON.stringify(line).includes('another-secret') && !JSON.stringify(line).includes('headers'));
    assert.equal(lines.filter((l) => l.correlationId === 'corr-probe').length, 0, 'probes are not logged');
  });

  it('generates a correlation id when the caller sends none or an unsafe one', async () => {
    const res = await request(app.getHttpServer()).get('/healthz').set('x-correlation-id', 'x'.repeat(500)).expect(200);
    assert.match(String(res.headers['x-correlation-id']), /^[0-9a-f-]{36}$/);
  });

  it('answers typed errors through the global filter', async () => {
    const res = await request(app.getHttpServer()).get('/api/demo/missing').expect(404);
    assert.deepEqual(res.body, { error: { code: 'not_found', message: 'no such demo' } });
  });
});

@Controller('hooks')
class RawBodyController {
  @Post()
  receive(@Req() req: { rawBody?: Buffer }, @Body() body: { zen?: string }): { rawLength: number; zen?: string } {
    return { rawLength: req.rawBody?.length ?? -1, zen: body.zen };
  }
}

@Module({ controllers: [RawBodyController] })
class RawBodyModule {}

describe('bootstrapService with rawBody and bodyLimit', () => {
  let app: INestApplication;

  before(async () => {
    const config = loadServiceConfig({}, { LOG_LEVEL: 'silent' });
    app = await bootstrapService({ name: 'raw', module: RawBodyModule, config, port: 0, rawBody: true, bodyLimit: '2kb' });
  });

  after(async () => {
    await app.close();
  });

  it('keeps the raw body for signature checks and enforces the body limit', async () => {
    const payload = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const res = await request(app.getHttpServer()).post('/hooks').set('content-type', 'application/json').send(payload).expect(201);
    assert.deepEqual(res.body, { rawLength: Buffer.byteLength(payload), zen: 'Keep it logically awesome.' });
    const tooBig = await request(app.getHttpServer()).post('/hooks').send({ zen: 'x'.repeat(4096) }).expect(413);
    assert.equal(tooBig.body.error.code, 'payload_too_large');
  });
});

