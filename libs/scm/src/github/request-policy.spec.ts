import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestPolicy, retryDelayMs, type RequestPolicyOptions } from './request-policy';

const req = { method: 'GET', url: '/repos/acme/r' };
const failure = (status: number, headers: Record<string, string> = {}, message = 'failed') => ({ status, message, response: { headers } });

function policy(retries = 3): RequestPolicyOptions & { limits: string[] } {
  const limits: string[] = [];
  return {
    retries,
    limits,
    onRateLimit: (after, _r, n) => (limits.push(`primary ${after}`), n < retries),
    onSecondaryRateLimit: (after, _r, n) => (limits.push(`secondary ${after}`), n < retries),
  };
}

describe('GitHub request policy', () => {
  it('waits out secondary limits (retry-after, or 60 s when GitHub gives none) and a spent primary budget', () => {
    const p = policy();
    assert.equal(retryDelayMs(failure(429, { 'retry-after': '7' }), 0, req, p), 7000);
    assert.equal(retryDelayMs(failure(403, {}, 'You have exceeded a secondary rate limit'), 0, req, p), 60_000);
    const reset = String(Math.floor(Date.now() / 1000) + 30);
    const primary = retryDelayMs(failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), 0, req, p)!;
    assert.ok(primary >= 29_000 && primary <= 32_000, `waits for the reset (${primary} ms)`);
    assert.deepEqual(p.limits.map((l) => l.split(' ')[0]), ['secondary', 'secondary', 'primary']);
    assert.equal(retryDelayMs(failure(429, { 'retry-after': '7' }), 3, req, p), null, 'the handler refuses after `retries`');
  });

  it('retries server errors with growing backoff, never client errors', () => {
    const p = policy(2);
    assert.equal(retryDelayMs(failure(502), 0, req, p), 1000);
    assert.equal(retryDelayMs(failure(500), 1, req, p), 4000);
    assert.equal(retryDelayMs(failure(500), 2, req, p), null);
    for (const status of [400, 401, 403, 404, 422]) assert.equal(retryDelayMs(failure(status), 0, req, p), null, `no retry on ${status}`);
  });

  it('sends writes one at a time, at least a second apart; reads at once', async () => {
    const slept: number[] = [];
    const plugin = requestPolicy({ ...policy(), sleep: async (ms) => void slept.push(ms) });
    let wrapped!: (request: (o: { method: string; url: string }) => Promise<unknown>, o: { method: string; url: string }) => Promise<unknown>;
    // Octokit's hook, reduced to the one wrap the policy installs.
    const hook = { wrap: (_name: string, fn: unknown) => void (wrapped = fn as typeof wrapped) };
    plugin({ hook } as unknown as Parameters<typeof plugin>[0]);
    let inFlight = 0;
    let most = 0;
    const request = async (o: { method: string }) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return o.method;
    };
    await Promise.all(Array.from({ length: 3 }, () => wrapped(request, { method: 'POST', url: '/repos/acme/r/statuses/abc' })));
    assert.equal(most, 1, 'writes never overlap');
    assert.equal(slept.length, 2, 'the second and third write waited for the gap');
    most = 0;
    await Promise.all(Array.from({ length: 3 }, () => wrapped(request, req)));
    assert.equal(most, 3, 'reads are not queued');
  });
});
