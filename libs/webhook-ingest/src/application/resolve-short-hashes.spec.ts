import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BitbucketEventPayloads, FakeBitbucket } from '@sluice/fake-scm';
import { ServiceUnavailableError } from '@sluice/platform';
import { normaliseBitbucket, ScmClients, type DeliveryInput } from '@sluice/scm';
import { ResolveShortHashes, type HashResolution } from './resolve-short-hashes';

const TOKEN = 'bb-resolver-spec-token';
const REPO = { fullName: 'acme/app' };

describe('ResolveShortHashes (Bitbucket pull requests, against the fake Bitbucket API)', () => {
  const bitbucket = new FakeBitbucket({ tokens: [TOKEN] });
  const payloads = new BitbucketEventPayloads();
  let head: string;
  let base: string;
  let resolver: ResolveShortHashes;

  before(async () => {
    await bitbucket.start();
    bitbucket.seed.repo({ workspace: 'acme', slug: 'app' });
    base = bitbucket.seed.push(REPO.fullName, { files: { README: 'a\n' } });
    head = bitbucket.seed.push(REPO.fullName, { branch: 'feature', files: { README: 'b\n' } });
    // Few, fast retries: the spec's 5xx cases wait for them.
    const clients = new ScmClients({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 } });
    resolver = new ResolveShortHashes(clients.bitbucketScm(`${bitbucket.url}/2.0`, TOKEN), { retryAfterSeconds: 42 });
  });
  after(() => bitbucket.stop());

  const delivery = (event: 'pullrequest:created' | 'pullrequest:updated' | 'pullrequest:fulfilled' | 'pullrequest:rejected', sha = head): DeliveryInput => ({
    event,
    deliveryId: `d-${event}`,
    payload: payloads.pullRequest(REPO, { id: 7, event, sourceBranch: 'feature', headSha: sha, baseSha: base }).payload,
  });
  const inputOf = (r: HashResolution): DeliveryInput => {
    assert.equal(r.kind, 'input', JSON.stringify(r));
    return (r as Extract<HashResolution, { kind: 'input' }>).input;
  };

  it("expands the 12-character source hash of every pull request event to the full one, so the normaliser emits it", async () => {
    for (const event of ['pullrequest:created', 'pullrequest:updated', 'pullrequest:fulfilled', 'pullrequest:rejected'] as const) {
      const input = delivery(event);
      assert.equal((input.payload as { pullrequest: { source: { commit: { hash: string } } } }).pullrequest.source.commit.hash, head.slice(0, 12));
      const normalised = normaliseBitbucket(inputOf(await resolver.resolve('bitbucket', input)));
      assert.equal(normalised.kind, 'events', JSON.stringify(normalised));
      const [e] = (normalised as Extract<typeof normalised, { kind: 'events' }>).events;
      assert.deepEqual([e!.type, (e!.data as { headSha: string }).headSha], ['scm.pull-request.changed', head]);
    }
  });

  it("leaves the delivery's payload as received (the copy carries the full hash)", async () => {
    const input = delivery('pullrequest:created');
    const before = JSON.stringify(input.payload);
    await resolver.resolve('bitbucket', input);
    assert.equal(JSON.stringify(input.payload), before);
  });

  it('asks nothing for other events, other providers, or a full hash', async () => {
    bitbucket.clearRequests();
    const push = { event: 'repo:push', deliveryId: 'p', payload: { any: 1 } };
    assert.equal(inputOf(await resolver.resolve('bitbucket', push)), push);
    const gitlab = { ...delivery('pullrequest:created'), event: 'pullrequest:created' };
    assert.equal(inputOf(await resolver.resolve('gitlab', gitlab)), gitlab);
    const full = { ...delivery('pullrequest:created'), payload: payloads.pullRequest(REPO, { id: 7, event: 'pullrequest:created', sourceBranch: 'feature', headSha: head, baseSha: base, fullHashes: true }).payload };
    assert.equal(inputOf(await resolver.resolve('bitbucket', full)), full);
    assert.equal(bitbucket.requests.length, 0);
  });

  it('a hash that names no commit is ignored, saying so (never a 5xx)', async () => {
    const r = await resolver.resolve('bitbucket', delivery('pullrequest:created', 'abcdef012345'.padEnd(40, '0')));
    assert.equal(r.kind, 'ignored');
    assert.match((r as { reason: string }).reason, /"abcdef012345" is not a commit of acme\/app on Bitbucket/);
  });

  it('a source hash that is not hex is ignored without a call', async () => {
    const input = delivery('pullrequest:created');
    (input.payload as { pullrequest: { source: { commit: { hash: string } } } }).pullrequest.source.commit.hash = '../../x';
    bitbucket.clearRequests();
    const r = await resolver.resolve('bitbucket', input);
    assert.match((r as { reason: string }).reason, /is not a commit hash/);
    assert.equal(bitbucket.requests.length, 0);
  });

  it('without a Bitbucket reader: ignored, naming the settings to configure', async () => {
    const r = await new ResolveShortHashes(null).resolve('bitbucket', delivery('pullrequest:created'));
    assert.equal(r.kind, 'ignored');
    assert.match((r as { reason: string }).reason, /abbreviated hash; set BITBUCKET_TOKEN \(and BITBUCKET_API_URL\) for webhook-ingest/);
  });

  it('a transient failure is retried by the provider client; one that lasts is a 503 with Retry-After', async () => {
    bitbucket.injectFailure({ status: 502, times: 1, path: /\/commit\// });
    assert.equal(inputOf(await resolver.resolve('bitbucket', delivery('pullrequest:created'))).deliveryId, 'd-pullrequest:created');
    bitbucket.injectFailure({ status: 503, times: 2, path: /\/commit\// });
    await assert.rejects(resolver.resolve('bitbucket', delivery('pullrequest:created')), (e: unknown) => {
      assert.ok(e instanceof ServiceUnavailableError);
      assert.deepEqual([e.status, e.code, e.retryAfterSeconds], [503, 'scm_unavailable', 42]);
      assert.doesNotMatch(e.message, new RegExp(TOKEN));
      return true;
    });
  });

  it('a rate limit is a 503 whose Retry-After is when the limit ends', async () => {
    bitbucket.injectRateLimit({ status: 429, retryAfterSeconds: 120, path: /\/commit\// });
    await assert.rejects(resolver.resolve('bitbucket', delivery('pullrequest:created')), (e: unknown) => {
      assert.ok(e instanceof ServiceUnavailableError);
      assert.ok(e.retryAfterSeconds > 100 && e.retryAfterSeconds <= 120, String(e.retryAfterSeconds));
      return true;
    });
  });

  it('a lookup slower than the deadline is a 503', async () => {
    const slow = new ResolveShortHashes(new ScmClients().bitbucketScm(`${bitbucket.url}/2.0`, TOKEN), { deadlineMs: 50 });
    bitbucket.latencyMs = 500;
    try {
      await assert.rejects(slow.resolve('bitbucket', delivery('pullrequest:created')), (e: unknown) => e instanceof ServiceUnavailableError && /no answer within 50 ms/.test(e.message));
    } finally {
      bitbucket.latencyMs = 0;
    }
  });
});
