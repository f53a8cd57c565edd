import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { Topics, type EventEnvelope } from '@sluice/contracts';
import { uniqueName, waitUntil } from '@sluice/testing';
import { ADMIN_TOKEN, envelope, startAutodeploy, type Harness } from '../../testing/harness';

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** POST /api/admin/dead-letters/{topic}/redrive on real Kafka. */
describe('dead-letter redrive (real Kafka)', () => {
  let h: Harness;
  let team: string;
  before(async () => {
    h = await startAutodeploy({ kafka: true });
    team = (await request(h.http).post('/api/admin/tokens').set(auth(ADMIN_TOKEN)).send({ team: 'payments' }).expect(201)).body.token;
  });
  after(async () => {
    await h?.close();
  });

  it('re-publishes <topic>.dlq to <topic> once and says how many; admin only; Sluice topics only', { timeout: 120_000 }, async () => {
    const dead: EventEnvelope[] = [0, 1].map((n) => envelope('deploy.failed', `applier-redrive-${n}`, { config: `redrive-${n}`, deployId: uniqueName('d'), reason: 'test' } as never));
    // As a consumer that gave up on them would have left them (on a topic no consumer of this
    // harness reads, so nothing dead-letters them again meanwhile).
    await h.bus.publish(`${Topics.status}.dlq`, dead);
    const seen: string[] = [];
    await h.bus.subscribe({ group: uniqueName('watch'), topics: [Topics.status], handler: async (e) => void seen.push(e.id) });

    await request(h.http).post(`/api/admin/dead-letters/${Topics.status}/redrive`).expect(401);
    await request(h.http).post(`/api/admin/dead-letters/${Topics.status}/redrive`).set(auth(team)).expect(403);
    await request(h.http).post('/api/admin/dead-letters/sluice.nope.v1/redrive').set(auth(ADMIN_TOKEN)).expect(404);

    const first = await request(h.http).post(`/api/admin/dead-letters/${Topics.status}/redrive`).set(auth(ADMIN_TOKEN)).expect(200);
    assert.deepEqual(first.body, { topic: Topics.status, redriven: 2 });
    await waitUntil(() => dead.every((e) => seen.includes(e.id)), { timeoutMs: 30_000, message: 'the redriven messages reach the topic' });
    const again = await request(h.http).post(`/api/admin/dead-letters/${Topics.status}/redrive`).set(auth(ADMIN_TOKEN)).expect(200);
    assert.deepEqual(again.body, { topic: Topics.status, redriven: 0 });
  });
});
