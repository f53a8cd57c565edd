import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { ScmRateLimitedError } from '../errors';
import { PgSharedRateLimit, sharedRateLimitTableSql, type SqlQueryable } from './pg-shared-rate-limit';
import { ProviderHttp } from './provider-http';
import { RateLimitGate } from './rate-limit-gate';

const TABLE = 'public.scm_rate_limits';
const KEY = 'github http://fake token:0123456789abcdef';

/**
 * Two replicas (or a replica and its restart) share one set of credentials' budget through
 * PostgreSQL: a Retry-After the first was told holds the second, and writes are spaced across both.
 */
describe('shared rate budget (PgSharedRateLimit)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let db: SqlQueryable;
  let server: Server;
  let url: string;
  const requests: number[] = [];
  let limitNext = 0;

  before(async () => {
    database = await createTestDatabase('scm_rate');
    pool = new Pool({ connectionString: database.url, max: 4 });
    pool.on('error', (err) => {
      if (!ended) throw err;
    });
    db = { query: async (sql, params) => (await pool.query(sql, params as unknown[])).rows };
    await db.query(sharedRateLimitTableSql(TABLE));
    // The fake GitHub: a 429 with Retry-After when asked to, else 200.
    server = createServer((req, res) => {
      requests.push(Date.now());
      if (limitNext > 0) {
        res.writeHead(limitNext === 403 ? 403 : 429, { 'retry-after': '2', 'content-type': 'application/json' }).end('{"message":"slow down"}');
        limitNext = 0;
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  // A gate's write of the shared limit can still be on its way when the suite ends; the database's drop
  // then terminates its connection. Only errors while the tests run fail them.
  let ended = false;
  after(async () => {
    ended = true;
    server?.close();
    await pool?.end();
    await database?.drop();
  });

  const replica = () => {
    const gate = new RateLimitGate(undefined, 0, 10, 0);
    gate.share(new PgSharedRateLimit(db, TABLE, KEY), (err) => {
      if (!ended) assert.fail(String(err));
    });
    return { gate, http: new ProviderHttp({ gate, retry: { attempts: 1 } }) };
  };

  for (const status of [429, 403]) {
    it(`a ${status} with Retry-After to one replica: a second one (or a restarted one) on the same database does not call until then`, async () => {
      const first = replica();
      await first.http.request({ method: 'GET', url: `${url}/ok`, headers: {} });
      limitNext = status;
      requests.length = 0;
      const limitedAt = Date.now();
      await assert.rejects(first.http.request({ method: 'GET', url: `${url}/limited`, headers: {} }), ScmRateLimitedError);
      await first.gate.flushShared();
      assert.equal(requests.length, 1);

      // A replica that starts now knows nothing in memory: the shared row holds it back.
      const second = replica();
      const answer = await second.http.request<{ ok: boolean }>({ method: 'GET', url: `${url}/after`, headers: {} });
      assert.deepEqual(answer.body, { ok: true });
      assert.equal(requests.length, 2);
      const heldMs = requests[1]! - limitedAt;
      console.log(`${status} Retry-After: 2 → the second replica's call went ${heldMs} ms after the limit began`);
      assert.ok(heldMs >= 1900, `the second replica waited out the Retry-After: ${heldMs} ms`);
      // And one that asks first whether it is blocked (a controller's work queue) is told so.
      const third = replica();
      third.gate.blockedUntil();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(third.gate.blockedUntil(), null, 'the limit is over now');
    });
  }

  it('a replica that asks before calling is told of the other replica’s limit (blockedUntil)', async () => {
    const first = replica();
    limitNext = 429;
    await assert.rejects(first.http.request({ method: 'GET', url: `${url}/limited`, headers: {} }), ScmRateLimitedError);
    await first.gate.flushShared();
    const second = replica();
    second.gate.blockedUntil(); // starts the read
    await new Promise((r) => setTimeout(r, 200));
    const until = second.gate.blockedUntil();
    assert.ok(until !== null && until > Date.now() + 1000, `blocked until about 2 s after the 429: ${until}`);
    await assert.rejects(second.http.request({ method: 'GET', url: `${url}/x`, headers: {} }), ScmRateLimitedError, 'fails fast without calling');
    await new Promise((r) => setTimeout(r, 2100));
  });

  it('two replicas writing at once keep the credentials’ write spacing between them, not each on its own', async () => {
    const [a, b] = [replica(), replica()];
    a.gate.minWriteIntervalMs = 200;
    b.gate.minWriteIntervalMs = 200;
    const slots: number[] = [];
    const write = async (gate: RateLimitGate) => {
      await gate.writeSlot();
      slots.push(Date.now());
    };
    const started = Date.now();
    await Promise.all([write(a.gate), write(b.gate), write(a.gate), write(b.gate), write(a.gate), write(b.gate)]);
    slots.sort((x, y) => x - y);
    const gaps = slots.slice(1).map((t, i) => t - slots[i]!);
    console.log(`6 writes of two replicas, 200 ms spacing: gaps ${gaps.join(', ')} ms, ${slots.at(-1)! - started} ms in all`);
    assert.ok(gaps.every((g) => g >= 180), `every gap about 200 ms or more: ${gaps}`);
  });
});
