import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Topics, type EventEnvelope } from '@sluice/contracts';
import { BitbucketEventPayloads, bitbucketWebhookRequest, FakeBitbucket } from '@sluice/fake-scm';
import { waitUntil } from '@sluice/testing';
import { collect, startWebhookApp, type WebhookTestApp } from '../../test/webhook-app';

const SECRET = 'bitbucket-pr-secret-for-tests-01';
const API_TOKEN = 'bb-pr-int-spec-api-token';
const REPO = { fullName: 'acme/shop' };
type PrEvent = 'pullrequest:created' | 'pullrequest:updated' | 'pullrequest:fulfilled' | 'pullrequest:rejected';

async function send(baseUrl: string, req: { headers: Record<string, string>; body: string }) {
  const res = await fetch(`${baseUrl}/webhooks/bitbucket`, { method: 'POST', headers: req.headers, body: req.body });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

// Bitbucket pull request deliveries (Atlassian's example, 12-character hashes) through POST /webhooks/bitbucket
// on PostgreSQL, with BITBUCKET_API_URL/BITBUCKET_TOKEN on the fake Bitbucket: the stored and relayed events carry full SHAs.
describe('POST /webhooks/bitbucket: pull requests with abbreviated hashes', () => {
  const bitbucket = new FakeBitbucket({ tokens: [API_TOKEN] });
  const payloads = new BitbucketEventPayloads();
  let t: WebhookTestApp;
  let published: EventEnvelope[];
  let base: string;
  let head: string;

  before(async () => {
    await bitbucket.start();
    bitbucket.seed.repo({ workspace: 'acme', slug: 'shop' });
    base = bitbucket.seed.push(REPO.fullName, { files: { README: 'shop\n' } });
    head = bitbucket.seed.push(REPO.fullName, { branch: 'feature/cart', files: { README: 'cart\n' } });
    t = await startWebhookApp({ bitbucketSecrets: [SECRET], bitbucketApi: { url: `${bitbucket.url}/2.0`, token: API_TOKEN } });
    published = await collect(t.bus, Topics.scm, 'bitbucket-pr-observer');
  });
  after(async () => {
    await t?.close();
    await bitbucket.stop();
  });

  const delivery = (event: PrEvent, sha = head, deliveryId?: string) =>
    bitbucketWebhookRequest({ ...payloads.pullRequest(REPO, { id: 12, event, sourceBranch: 'feature/cart', headSha: sha, baseSha: base }), secret: SECRET, deliveryId });
  const stored = async (deliveryId: string) =>
    (await t.dataSource.query(`SELECT type, data FROM webhook_ingest.events WHERE data->>'deliveryId' = $1`, [deliveryId])) as Array<{ type: string; data: { action: string; headSha: string; merged: boolean } }>;
  const deliveries = async (deliveryId: string) =>
    Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_ingest.deliveries WHERE delivery_id = $1`, [deliveryId]))[0].n);

  it('created, updated, fulfilled, rejected: accepted, stored and relayed as scm.pull-request.changed with the full head SHA', async () => {
    const expected: Record<PrEvent, [string, boolean]> = {
      'pullrequest:created': ['opened', false],
      'pullrequest:updated': ['synchronize', false],
      'pullrequest:fulfilled': ['closed', true],
      'pullrequest:rejected': ['closed', false],
    };
    const ids: string[] = [];
    for (const [event, [action, merged]] of Object.entries(expected) as Array<[PrEvent, [string, boolean]]>) {
      const req = delivery(event);
      assert.match(req.body, new RegExp(`"hash":"${head.slice(0, 12)}"`), 'Bitbucket sends the abbreviated hash');
      const res = await send(t.url, req);
      assert.deepEqual([res.status, res.body.result], [202, 'accepted'], `${event}: ${JSON.stringify(res.body)}`);
      const events = await stored(req.deliveryId);
      assert.deepEqual(
        events.map((e) => [e.type, e.data.action, e.data.headSha, e.data.merged]),
        [['scm.pull-request.changed', action, head, merged]],
        event,
      );
      const [row] = await t.dataSource.query(`SELECT raw FROM webhook_ingest.deliveries WHERE delivery_id = $1`, [req.deliveryId]);
      assert.equal(Buffer.from(row.raw).toString('utf8'), req.body, 'the raw body is stored as received');
      ids.push(req.deliveryId);
    }
    await waitUntil(() => ids.every((id) => published.some((e) => (e.data as { deliveryId: string }).deliveryId === id)), { timeoutMs: 10_000 });
    for (const e of published.filter((p) => ids.includes((p.data as { deliveryId: string }).deliveryId))) {
      assert.equal((e.data as { headSha: string }).headSha, head);
    }
  });

  it('a hash Bitbucket does not know: 202 ignored with the reason, nothing stored', async () => {
    const req = delivery('pullrequest:created', 'feedfacecafe'.padEnd(40, '0'));
    const res = await send(t.url, req);
    assert.deepEqual([res.status, res.body.result], [202, 'ignored']);
    assert.match(String(res.body.reason), /"feedfacecafe" is not a commit of acme\/shop on Bitbucket/);
    assert.equal(await deliveries(req.deliveryId), 0);
  });

  it("Bitbucket's API failing through the client's retries: 503 with Retry-After, nothing stored; the redelivery is accepted", async () => {
    const id = randomUUID();
    bitbucket.injectFailure({ status: 500, times: 3, path: /\/commit\// });
    const failed = await send(t.url, delivery('pullrequest:updated', head, id));
    assert.equal(failed.status, 503, JSON.stringify(failed.body));
    assert.equal((failed.body.error as { code: string }).code, 'scm_unavailable');
    assert.ok(Number(failed.retryAfter) >= 1, `Retry-After: ${failed.retryAfter}`);
    assert.equal(await deliveries(id), 0);
    const again = await send(t.url, delivery('pullrequest:updated', head, id));
    assert.deepEqual([again.status, again.body.result], [202, 'accepted']);
    assert.deepEqual((await stored(id)).map((e) => e.data.headSha), [head]);
  });
});
