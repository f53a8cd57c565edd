import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { configureLogging } from './logger';
import { requestContextMiddleware } from './request-context';

describe('requestContextMiddleware', () => {
  it('logs a request the server gave up on (its request timeout) as aborted, without the 200 it never sent', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    });
    configureLogging({ level: 'info', service: 'test', destination });
    // A handler that never answers, as one waiting on a starved database did.
    const server = createServer({ connectionsCheckingInterval: 100 }, (req, res) => requestContextMiddleware(req, res, () => undefined));
    server.headersTimeout = 300;
    server.requestTimeout = 300;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number | string>((resolve) => {
        request({ host: '127.0.0.1', port, path: '/api/configs', method: 'POST', headers: { 'content-length': '10' } }, (res) => resolve(res.statusCode ?? 0))
          .on('error', (err) => resolve(err.message))
          .end('{"a":');
      });
      assert.equal(status, 408);
      for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const line = lines.find((l) => (l.req as { url?: string } | undefined)?.url === '/api/configs');
      assert.ok(line, 'one line for the request');
      assert.equal(line.msg, 'request aborted');
      assert.equal(line.level, 'warn');
      assert.deepEqual(line.res, { statusCode: null });
    } finally {
      server.close();
      configureLogging({ level: 'warn' });
    }
  });
});
