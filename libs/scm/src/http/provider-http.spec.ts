import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScmRateLimitedError, ScmRequestError } from '../errors';
import { ProviderHttp } from './provider-http';
import { RateLimitGate } from './rate-limit-gate';

/** A scripted fetch: answers in turn, records what was asked. */
function scripted(answers: Array<() => Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    return next();
  }) as unknown as typeof fetch;
  return { fetchFn, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function http(fetchFn: typeof fetch, slept: number[], retry = {}) {
  return new ProviderHttp({ gate: new RateLimitGate(undefined, 0, 10, 0), fetch: fetchFn, retry, random: () => 0.5, sleep: async (ms) => void slept.push(ms) });
}

describe('ProviderHttp (the GitLab and Bitbucket transport)', () => {
  it('retries 5xx with exponential backoff and jitter, then answers', async () => {
    const { fetchFn, calls } = scripted([json(502, {}), json(503, {}), json(200, { ok: true })]);
    const slept: number[] = [];
    const res = await http(fetchFn, slept, { attempts: 3, baseDelayMs: 100 }).request<{ ok: boolean }>({ method: 'GET', url: 'https://gitlab.example/api/v4/x', headers: {} });
    assert.deepEqual(res.body, { ok: true });
    assert.equal(calls.length, 3);
    assert.deepEqual(slept, [50, 100], 'half of 100 and of 200 with random() = 0.5');
  });

  it('gives up after the attempts with the provider message only, never the raw body or the query', async () => {
    const { fetchFn } = scripted([() => new Response('<html>page</html>', { status: 500 }), json(500, { message: 'boom\nagain' })]);
    await assert.rejects(
      http(fetchFn, [], { attempts: 2 }).request({ method: 'GET', url: 'https://gitlab.example/api/v4/x?private_token=s3cret', headers: {} }),
      (e: unknown) => e instanceof ScmRequestError && e.transient && e.message === 'GET https://gitlab.example/api/v4/x: 500 boom again',
    );
  });

  it('a 429 with a retry-after longer than it may wait fails at once as rate limited, and nothing is sent until then', async () => {
    const { fetchFn, calls } = scripted([json(429, {}, { 'retry-after': '30' })]);
    const client = http(fetchFn, []);
    await assert.rejects(client.request({ method: 'POST', url: 'https://bb.example/2.0/x', headers: {}, body: {} }), (e: unknown) => e instanceof ScmRateLimitedError && e.untilMs > Date.now() + 25_000);
    await assert.rejects(client.request({ method: 'GET', url: 'https://bb.example/2.0/y', headers: {} }), ScmRateLimitedError);
    assert.equal(calls.length, 1);
  });

  it('a short rate limit within maxRateLimitWaitMs is waited out and retried', async () => {
    const { fetchFn, calls } = scripted([json(429, {}, { 'retry-after': '1' }), json(201, { id: 1 })]);
    // Real time: the gate's clock and the wait must agree.
    const client = new ProviderHttp({ gate: new RateLimitGate(undefined, 0, 10, 0), fetch: fetchFn, retry: { maxRateLimitWaitMs: 5000 } });
    const started = Date.now();
    const res = await client.request({ method: 'POST', url: 'https://bb.example/2.0/x', headers: {}, body: {} });
    assert.equal(res.status, 201);
    assert.equal(calls.length, 2);
    assert.ok(Date.now() - started >= 950, 'the second try went after retry-after');
  });

  it('follows a redirect on the same origin only: another host never sees the Authorization header', async () => {
    const { fetchFn, calls } = scripted([
      () => new Response(null, { status: 301, headers: { location: '/api/v4/moved' } }),
      () => new Response(null, { status: 307, headers: { location: 'https://elsewhere.example/collect' } }),
    ]);
    await assert.rejects(
      http(fetchFn, []).request({ method: 'GET', url: 'https://gitlab.example/api/v4/x', headers: { Authorization: 'Bearer t' } }),
      (e: unknown) => e instanceof ScmRequestError && /307 redirect to another origin .*not followed/.test(e.message),
    );
    assert.deepEqual(calls.map((c) => c.url), ['https://gitlab.example/api/v4/x', 'https://gitlab.example/api/v4/moved']);
  });
});
