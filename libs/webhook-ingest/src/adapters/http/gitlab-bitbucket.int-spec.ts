import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { repoStream, Topics, type EventEnvelope, type RepoRef } from '@sluice/contracts';
import {
  BITBUCKET_EXAMPLE_FILES,
  bitbucketExamplePayload,
  bitbucketWebhookRequest,
  GITLAB_EXAMPLE_FILES,
  gitlabExamplePayload,
  gitlabWebhookRequest,
  signWebhook,
  type BitbucketExampleEvent,
  type GitLabExampleEvent,
} from '@sluice/fake-scm';
import { normaliseBitbucket, normaliseGitLab, type Normalised } from '@sluice/scm';
import { waitUntil } from '@sluice/testing';
import { collect, startWebhookApp, type WebhookTestApp } from '../../test/webhook-app';

const GITLAB_TOKENS = ['gitlab-token-for-tests-0001', 'gitlab-token-rotated-0002'];
const BITBUCKET_SECRETS = ['bitbucket-secret-for-tests-01', 'bitbucket-secret-rotated-02'];

/** How one delivery is made: `credential` good (the first or `rotated` configured secret), bad, or absent. */
type Credential = 'good' | 'rotated' | 'bad' | 'none';
interface Request {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly deliveryId: string;
}

interface ProviderCase {
  readonly name: 'gitlab' | 'bitbucket';
  readonly examples: ReadonlyArray<{ event: string; payload: unknown }>;
  readonly normalise: (input: { event: string; deliveryId: string; payload: unknown }) => Normalised;
  readonly make: (event: string, payload: unknown, credential: Credential, deliveryId?: string) => Request;
  /** Signed (or carrying the token) bytes that are not JSON. */
  readonly notJson: (credential: Credential) => Request;
  readonly unknownEvent: { event: string; payload: unknown };
  readonly credentialHeader: string;
}

const gitlabToken = (c: Credential) => ({ good: GITLAB_TOKENS[0], rotated: GITLAB_TOKENS[1], bad: 'gitlab-token-for-tests-0009', none: undefined })[c];
const bitbucketSecret = (c: Credential) => ({ good: BITBUCKET_SECRETS[0], rotated: BITBUCKET_SECRETS[1], bad: 'bitbucket-secret-for-tests-09', none: undefined })[c];

const CASES: readonly ProviderCase[] = [
  {
    name: 'gitlab',
    examples: (Object.keys(GITLAB_EXAMPLE_FILES) as GitLabExampleEvent[]).map((event) => ({ event, payload: gitlabExamplePayload(event) })),
    normalise: normaliseGitLab,
    make: (event, payload, c, deliveryId) => gitlabWebhookRequest({ event, payload, token: gitlabToken(c), deliveryId }),
    notJson: (c) => ({ ...gitlabWebhookRequest({ event: 'Push Hook', payload: null, token: gitlabToken(c) }), body: '{"object_kind":' }),
    unknownEvent: { event: 'Issue Hook', payload: { object_kind: 'issue' } },
    credentialHeader: 'x-gitlab-token',
  },
  {
    name: 'bitbucket',
    examples: (Object.keys(BITBUCKET_EXAMPLE_FILES) as BitbucketExampleEvent[]).map((event) => ({ event, payload: bitbucketExamplePayload(event) })),
    normalise: normaliseBitbucket,
    make: (event, payload, c, deliveryId) => bitbucketWebhookRequest({ event, payload, secret: bitbucketSecret(c), deliveryId }),
    notJson: (c) => {
      const req = bitbucketWebhookRequest({ event: 'repo:push', payload: null });
      const body = '{"push":';
      return { headers: { ...req.headers, 'x-hub-signature': signWebhook(bitbucketSecret(c)!, body) }, body, deliveryId: req.deliveryId };
    },
    unknownEvent: { event: 'repo:fork', payload: { repository: { full_name: 'acme/app' } } },
    credentialHeader: 'x-hub-signature',
  },
];

async function send(baseUrl: string, provider: string, req: { headers: Record<string, string>; body: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}/webhooks/${provider}`, { method: 'POST', headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('POST /webhooks/gitlab and /webhooks/bitbucket', () => {
  let t: WebhookTestApp;
  let published: EventEnvelope[];

  before(async () => {
    t = await startWebhookApp({ gitlabTokens: GITLAB_TOKENS, bitbucketSecrets: BITBUCKET_SECRETS });
    published = await collect(t.bus, Topics.scm, 'test-observer');
  });
  after(() => t?.close());

  const state = async () => {
    const [row] = await t.dataSource.query(
      `SELECT (SELECT count(*)::int FROM webhook_ingest.deliveries) AS deliveries, (SELECT count(*)::int FROM webhook_ingest.events) AS events`,
    );
    return row as { deliveries: number; events: number };
  };
  const storedDeliveries = async (id: string) =>
    Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_ingest.deliveries WHERE delivery_id = $1`, [id]))[0].n);

  for (const c of CASES) {
    describe(c.name, () => {
      it("accepts every published example, stores it raw and relays its events with the provider recorded", async () => {
        const ids: string[] = [];
        let expected = 0;
        for (const { event, payload } of c.examples) {
          const req = c.make(event, payload, 'good');
          const normalised = c.normalise({ event, deliveryId: req.deliveryId, payload });
          const res = await send(t.url, c.name, req);
          assert.equal(res.status, 202, `${event}: ${JSON.stringify(res.body)}`);
          assert.deepEqual([res.body.deliveryId, res.body.result], [req.deliveryId, normalised.kind === 'events' ? 'accepted' : 'ignored'], event);
          if (normalised.kind !== 'events') continue;
          ids.push(req.deliveryId);
          expected += normalised.events.length;
          const [row] = await t.dataSource.query(`SELECT event, raw FROM webhook_ingest.deliveries WHERE delivery_id = $1`, [req.deliveryId]);
          assert.equal(row.event, event);
          assert.equal(Buffer.from(row.raw).toString('utf8'), req.body, 'the raw body is stored byte for byte');
        }
        assert.ok(ids.length >= 3, 'push, build and more are accepted');
        await waitUntil(() => ids.every((id) => published.some((e) => (e.data as { deliveryId: string }).deliveryId === id)), { timeoutMs: 10_000 });
        const ours = published.filter((e) => ids.includes((e.data as { deliveryId: string }).deliveryId));
        assert.equal(ours.length, expected);
        for (const e of ours) {
          const repo = (e.data as { repo: RepoRef }).repo;
          assert.equal(repo.provider, c.name);
          assert.equal(e.stream, repoStream(repo));
        }
      });

      it('accepts a delivery with the rotated secret', async () => {
        const { event, payload } = c.examples[0]!;
        const res = await send(t.url, c.name, c.make(event, payload, 'rotated'));
        assert.deepEqual([res.status, res.body.result], [202, 'accepted']);
      });

      it('answers 401 for a wrong secret and 400 for a missing one, storing nothing', async () => {
        const { event, payload } = c.examples[0]!;
        const before = await state();
        const bad = await send(t.url, c.name, c.make(event, payload, 'bad'));
        assert.deepEqual([bad.status, (bad.body.error as { code: string }).code], [401, 'bad_signature']);
        const missing = await send(t.url, c.name, c.make(event, payload, 'none'));
        assert.equal(missing.status, 400);
        assert.match((missing.body.error as { message: string }).message, new RegExp(c.credentialHeader, 'i'));
        assert.deepEqual(await state(), before);
      });

      it('answers 415 for a body that is not declared JSON', async () => {
        const { event, payload } = c.examples[0]!;
        const req = c.make(event, payload, 'good');
        const res = await send(t.url, c.name, { ...req, headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded' } });
        assert.equal(res.status, 415);
        assert.equal(await storedDeliveries(req.deliveryId), 0);
      });

      it('answers 400 for authentic bytes that are not JSON, storing nothing', async () => {
        const req = c.notJson('good');
        const res = await send(t.url, c.name, req);
        assert.deepEqual([res.status, (res.body.error as { code: string }).code], [400, 'bad_json']);
        assert.equal(await storedDeliveries(req.deliveryId), 0);
      });

      it('answers 202 ignored for an event Sluice does not use, storing nothing', async () => {
        const req = c.make(c.unknownEvent.event, c.unknownEvent.payload, 'good');
        const res = await send(t.url, c.name, req);
        assert.deepEqual([res.status, res.body.result], [202, 'ignored']);
        assert.equal(await storedDeliveries(req.deliveryId), 0);
      });

      it('takes a redelivery with the same id once: one stored delivery, one set of events', async () => {
        const { event, payload } = c.examples[0]!;
        const id = randomUUID();
        const first = await send(t.url, c.name, c.make(event, payload, 'good', id));
        const again = await send(t.url, c.name, c.make(event, payload, 'good', id));
        assert.deepEqual([first.body.result, again.status, again.body.result], ['accepted', 202, 'duplicate']);
        assert.equal(await storedDeliveries(id), 1);
        const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_ingest.events WHERE data->>'deliveryId' = $1`, [id]);
        const normalised = c.normalise({ event, deliveryId: id, payload });
        assert.equal(row.n, normalised.kind === 'events' ? normalised.events.length : -1);
      });

      it('answers 413 for a declared Content-Length over 25 MB without reading the body', async () => {
        const { event, payload } = c.examples[0]!;
        const req = c.make(event, payload, 'good');
        const status = await new Promise<number>((resolve, reject) => {
          const r = request(`${t.url}/webhooks/${c.name}`, { method: 'POST', headers: { ...req.headers, 'content-length': String(25 * 1024 * 1024 + 1) } });
          r.on('response', (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          r.on('error', reject);
          r.write('{"a":');
        });
        assert.equal(status, 413);
        assert.equal(await storedDeliveries(req.deliveryId), 0);
      });
    });
  }

  it('GitLab: Idempotency-Key identifies a delivery without X-Gitlab-Event-UUID', async () => {
    const req = gitlabWebhookRequest({ event: 'Push Hook', payload: gitlabExamplePayload('Push Hook'), token: GITLAB_TOKENS[0] });
    const { ['x-gitlab-event-uuid']: _uuid, ...headers } = req.headers;
    const res = await send(t.url, 'gitlab', { headers, body: req.body });
    assert.deepEqual([res.status, res.body.deliveryId, res.body.result], [202, req.deliveryId, 'accepted']);
  });

  it('Bitbucket: the signature is of the exact bytes (a changed body is refused)', async () => {
    const req = bitbucketWebhookRequest({ event: 'repo:push', payload: bitbucketExamplePayload('repo:push'), secret: BITBUCKET_SECRETS[0] });
    const res = await send(t.url, 'bitbucket', { ...req, body: req.body.replace('name-of-branch', 'name-of-brunch') });
    assert.equal(res.status, 401);
  });

  it('a provider without a secret answers 404, as before', async () => {
    const other = await startWebhookApp();
    try {
      const req = gitlabWebhookRequest({ event: 'Push Hook', payload: gitlabExamplePayload('Push Hook'), token: GITLAB_TOKENS[0] });
      const res = await send(other.url, 'gitlab', req);
      assert.equal(res.status, 404);
      assert.equal((res.body.error as { message: string }).message, 'no webhook provider "gitlab" (configured: github)');
    } finally {
      await other.close();
    }
  });
});
