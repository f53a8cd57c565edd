import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, ConfigError } from '@sluice/platform';
import request from 'supertest';
import { dashboardServer } from './dashboard-server';
import { API_SERVICES, loadDashboardServerConfig, type ApiService } from './settings';

const TOKEN = 'sl_dashboardserver_0123456789abcdef0123456789';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** A stand-in for one service: answers with its name and records what it was sent. */
class Upstream {
  readonly seen: Seen[] = [];
  private server: Server | null = null;
  /** Resolves the held Server-Sent Events stream's second half. */
  release: () => void = () => undefined;
  ended = false;

  constructor(readonly service: ApiService) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
    if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (req.url?.startsWith('/api/deploys/d-1/logs')) return this.events(res);
    if (req.url === '/api/configs/etagged') {
      // As Express answers a GET: a weak ETag of the body, and 304 without a body when it matches.
      const headers = { etag: 'W/"1a-etagged"', vary: 'Authorization', 'x-from': this.service };
      if (req.headers['if-none-match'] === headers.etag) return void res.writeHead(304, headers).end();
      return void res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ service: this.service }));
    }
    if (req.url?.startsWith('/api/deploys/d-other')) {
      return void res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'x-from': this.service }).end('{"error":{"code":"forbidden","message":"deploy d-other is team billing\'s"}}');
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ service: this.service }));
  }

  /** One event, then nothing until the test releases the rest: the proxy must not wait for the end. */
  private events(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write('id: 1\nevent: step\ndata: {"step":"resolve"}\n\n');
    this.release = () => {
      res.end('id: 2\nevent: end\ndata: {"phase":"succeeded"}\n\n');
      this.ended = true;
    };
  }
}

describe('the dashboard server: the dashboard and its API in distributed mode', () => {
  const upstreams = Object.fromEntries(API_SERVICES.map((s) => [s, new Upstream(s)])) as Record<ApiService, Upstream>;
  const logs: string[] = [];
  let dir: string;
  let app: INestApplication;
  let server: Server;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-dashboard-server-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    for (const u of Object.values(upstreams)) await u.start();
    const config = loadDashboardServerConfig({
      SLUICE_SERVICE_URLS: API_SERVICES.map((s) => `${s}=${upstreams[s].url}/`).join(','),
      LOG_LEVEL: 'debug',
    });
    const logDestination = new Writable({
      write(chunk, _e, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    app = await bootstrapService(dashboardServer({ config, dashboardDir: dir, port: 0, host: '127.0.0.1', logDestination }));
    server = app.getHttpServer() as Server;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await app?.close();
    for (const u of Object.values(upstreams)) await u.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each /api path to the service that answers it (serviceForPath), with the caller’s headers and X-Forwarded-*', async () => {
    const routes: Array<[string, ApiService]> = [
      ['/api/configs?team=payments', 'autodeploy'],
      ['/api/deploys/d-9', 'autodeploy'],
      ['/api/repos/acme/billing-api/commits/abc', 'repo-sync'],
      ['/api/admin/sync', 'repo-sync'],
      ['/api/deploys/d-9/manifests', 'kube-applier'],
      ['/api/test-runs?config=billing-api', 'kube-applier'],
      ['/api/commit-statuses?repo=acme/billing-api', 'commit-status'],
    ];
    for (const [path, service] of routes) {
      const res = await request(server).get(path).set('authorization', `Bearer ${TOKEN}`).set('x-correlation-id', 'corr-1');
      assert.equal(res.status, 200, path);
      assert.deepEqual(res.body, { service }, path);
      const seen = upstreams[service].seen.at(-1)!;
      assert.equal(seen.url, path, 'path and query as sent');
      assert.equal(seen.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(seen.headers['x-correlation-id'], 'corr-1');
      assert.match(String(seen.headers['x-forwarded-for']), /127\.0\.0\.1/);
      assert.equal(seen.headers['x-forwarded-proto'], 'http');
      assert.equal(seen.headers['x-forwarded-host'], new URL(base).host);
    }
  });

  it('passes a POST body through byte for byte, JSON or not', async () => {
    const json = '{ "config": "billing-api",  "reason": "héllo" }';
    const res = await request(server).post('/api/deploys').set('authorization', `Bearer ${TOKEN}`).set('content-type', 'application/json').send(json);
    assert.equal(res.status, 200);
    const seen = upstreams.autodeploy.seen.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.body.toString('utf8'), json, 'not parsed and re-serialised');
    assert.equal(seen.headers['content-type'], 'application/json');
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    await request(server).post('/api/repos/acme/x').set('content-type', 'application/octet-stream').send(bytes);
    assert.deepEqual(upstreams['repo-sync'].seen.at(-1)!.body, bytes);
  });

  it('passes a service’s refusal through unchanged', async () => {
    const res = await request(server).get('/api/deploys/d-other/logs').set('authorization', `Bearer ${TOKEN}`);
    assert.equal(res.status, 403);
    assert.equal(res.headers['x-from'], 'autodeploy');
    assert.equal(upstreams.autodeploy.seen.at(-1)!.headers['x-correlation-id'], res.headers['x-correlation-id'], 'one correlation id in both logs');
    assert.deepEqual(res.body, { error: { code: 'forbidden', message: "deploy d-other is team billing's" } });
  });

  it('passes If-None-Match, the ETag and a 304 through untouched (the dashboard’s polls revalidate)', async () => {
    const first = await fetch(`${base}/api/configs/etagged`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag');
    assert.equal(etag, 'W/"1a-etagged"');
    assert.equal(first.headers.get('vary'), 'Authorization');
    assert.deepEqual(await first.json(), { service: 'autodeploy' });
    assert.equal(upstreams.autodeploy.seen.at(-1)!.headers['if-none-match'], undefined);
    const again = await fetch(`${base}/api/configs/etagged`, { headers: { authorization: `Bearer ${TOKEN}`, 'if-none-match': etag! } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
    assert.equal(again.headers.get('x-from'), 'autodeploy');
    assert.equal(await again.text(), '');
    const seen = upstreams.autodeploy.seen.at(-1)!;
    assert.equal(seen.headers['if-none-match'], etag, 'the condition as the browser sent it');
    assert.equal(seen.headers.authorization, `Bearer ${TOKEN}`);
    const other = await fetch(`${base}/api/configs/etagged`, { headers: { authorization: `Bearer ${TOKEN}`, 'if-none-match': 'W/"other"' } });
    assert.equal(other.status, 200);
  });

  it('streams Server-Sent Events as they come: the first event arrives before the service ends the stream', async () => {
    const res = await fetch(`${base}/api/deploys/d-1/logs`, { headers: { authorization: `Bearer ${TOKEN}`, 'last-event-id': '0' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('content-encoding'), null, 'not compressed');
    assert.equal(upstreams.autodeploy.seen.at(-1)!.headers['last-event-id'], '0');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('\n\n')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended before its first event');
      text += decoder.decode(value, { stream: true });
    }
    assert.match(text, /event: step/);
    assert.equal(upstreams.autodeploy.ended, false, 'the first event came while the service still held the stream open');
    upstreams.autodeploy.release();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.match(text, /event: end\ndata: \{"phase":"succeeded"\}/);
  });

  it('serves the dashboard’s files and falls back to index.html for its pages', async () => {
    for (const path of ['/', '/configs/billing-api', '/deploys/d-1']) {
      const res = await request(server).get(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.text, '<div id="root"></div>', path);
      assert.match(res.headers['content-security-policy'] ?? '', /connect-src 'self'/, path);
    }
    const asset = await request(server).get('/assets/index-abc.js');
    assert.equal(asset.status, 200);
    assert.match(asset.headers['cache-control'] ?? '', /immutable/);
  });

  it('answers any other path with the services’ JSON 404, and has the health paths of every service', async () => {
    for (const path of ['/nothing', '/configs', '/webhooks/github']) {
      const res = await request(server).get(path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { error: { code: 'not_found', message: `no route for GET ${path}` } }, path);
    }
    assert.deepEqual((await request(server).get('/healthz')).body, { status: 'ok' });
    const ready = await request(server).get('/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.deepEqual(Object.keys(ready.body.checks).sort(), ['autodeploy', 'commit-status', 'dashboard', 'kube-applier', 'repo-sync']);
    assert.match((await request(server).get('/metrics')).text, /http_request/);
  });

  it('answers 502 in Sluice’s error body when a service is unreachable, is not ready then, and logs no token', async () => {
    const url = upstreams['kube-applier'].url;
    await upstreams['kube-applier'].stop();
    const res = await request(server).get('/api/deploys/d-9/manifests?token=x').set('authorization', `Bearer ${TOKEN}`);
    assert.equal(res.status, 502);
    assert.deepEqual(res.body, { error: { code: 'upstream_unavailable', message: `kube-applier is unreachable at ${url}` } });
    const ready = await request(server).get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body.checks['kube-applier'], { ok: false, detail: 'unreachable' });
    assert.equal(ready.body.checks['autodeploy'].ok, true);
    const text = logs.join('');
    assert.match(text, /upstream unavailable/);
    assert.ok(!text.includes(TOKEN.slice(3)), 'the token is in no log line');
  });
});

describe('the dashboard server’s settings', () => {
  const configError = (env: Record<string, string>): ConfigError => {
    try {
      loadDashboardServerConfig(env);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err;
    }
    assert.fail('expected a ConfigError');
  };

  it('needs no database and no Kafka, only where each API service is', () => {
    const config = loadDashboardServerConfig({
      SLUICE_SERVICE_URLS: 'autodeploy=http://autodeploy/, repo-sync=http://repo-sync:8080,kube-applier=https://ka.example,commit-status=http://cs,webhook-ingest=http://wi',
      SLUICE_OIDC_ISSUER: 'https://login.acme.dev/realms/acme',
      SLUICE_OIDC_CLIENT_ID: 'sluice',
    });
    assert.equal(config.SLUICE_SERVICE_URLS.autodeploy, 'http://autodeploy');
    assert.equal(config.SLUICE_SERVICE_URLS['kube-applier'], 'https://ka.example');
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.KAFKA_BROKERS, undefined);
  });

  it('refuses missing or bad service URLs with a ConfigError naming the variable, never a credential', () => {
    assert.match(configError({}).message, /SLUICE_SERVICE_URLS: required but not set/);
    const err = configError({ SLUICE_SERVICE_URLS: 'autodeploy=ftp://x,billing=http://y,repo-sync=http://admin:hunter2@repo-sync' });
    assert.deepEqual([...new Set(err.problems.map((p) => p.variable))], ['SLUICE_SERVICE_URLS']);
    assert.match(err.message, /autodeploy: expected an http\(s\) URL/);
    assert.match(err.message, /"billing" is no service/);
    assert.match(err.message, /repo-sync: no credentials in the URL/);
    assert.match(err.message, /missing autodeploy, repo-sync, kube-applier, commit-status/);
    assert.doesNotMatch(err.message, /hunter2/);
  });
});
