import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_FAILED_AUTH_LIMITS } from '@sluice/auth';
import { ADMIN_TOKEN, startAutodeploy, type Harness } from '../../testing/harness';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: { error?: { code: string; message: string } };
}

/** GET from a chosen loopback address (all of 127.0.0.0/8 is loopback), so the service sees distinct clients. */
function get(port: number, path: string, from: string, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('failed bearer authentications are rate limited per client address (autodeploy, real HTTP, default limits)', () => {
  let h: Harness;
  let port: number;

  before(async () => {
    h = await startAutodeploy();
    const server = h.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => h?.close());

  it('401 for each bad token up to the limit, then 429 with Retry-After without checking the token; other addresses are unaffected', async () => {
    const attacker = '127.0.0.2';
    const { maxFailures, blockMs } = DEFAULT_FAILED_AUTH_LIMITS;
    // A valid token does not count against its address, nor does a request without one.
    assert.equal((await get(port, '/api/configs', attacker, ADMIN_TOKEN)).status, 200);
    assert.equal((await get(port, '/api/configs', attacker)).status, 401);
    for (let i = 0; i < maxFailures; i++) {
      const answer = await get(port, '/api/configs', attacker, `guess-${i}`);
      assert.equal(answer.status, 401, `guess ${i}`);
    }
    const blocked = await get(port, '/api/configs', attacker, 'one-more-guess');
    assert.equal(blocked.status, 429);
    const retryAfter = Number(blocked.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= blockMs / 1000, `Retry-After ${blocked.headers['retry-after']}`);
    assert.equal(blocked.body.error?.code, 'too_many_failed_authentications');
    // Blocked means the token is not even checked: the right one is refused too, for a while.
    assert.equal((await get(port, '/api/configs', attacker, ADMIN_TOKEN)).status, 429);

    // Another client address: a valid token works, a bad one is a plain 401.
    assert.equal((await get(port, '/api/configs', '127.0.0.3', ADMIN_TOKEN)).status, 200);
    assert.equal((await get(port, '/api/configs', '127.0.0.3', 'a-single-typo')).status, 401);
  });
});
