import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '@sluice/testing';
import { pushHeaders, sign, startWebhookApp, type WebhookTestApp } from '../../test/webhook-app';
import { UploadBudget } from './upload-budget';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const examples: Array<{ name: string; examples: Array<Record<string, unknown>> }> = require('@octokit/webhooks-examples');
const push = examples.find((e) => e.name === 'push')!.examples.find((p) => p.ref === 'refs/heads/master')!;

/** A signed push of exactly `size` bytes (JSON padded with trailing spaces). */
function pushOfSize(size: number): Buffer {
  const json = JSON.stringify(push);
  assert.ok(json.length <= size);
  return Buffer.from(json.padEnd(size, ' '));
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: { result?: string; error?: { code: string; message: string } };
}

/**
 * A webhook upload driven by hand: `start` sends the headers and `first` bytes of the
 * body, then `finish` the rest or `abort` the connection — a slow sender holding its share
 * of the budget in between.
 */
function upload(baseUrl: string, body: Buffer, options: { chunked?: boolean; signature?: string } = {}) {
  let settle!: (a: Answer | Error) => void;
  const answer = new Promise<Answer | Error>((resolve) => (settle = resolve));
  const req = request(`${baseUrl}/webhooks/github`, {
    method: 'POST',
    headers: pushHeaders(options.signature ?? sign(body), options.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) }),
  });
  req.on('response', (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      settle({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} });
    });
  });
  // The server may answer and close while we still write (a refusal); the answer, if any, wins.
  req.on('error', (error) => setTimeout(() => settle(error), 200));
  req.flushHeaders();
  let sent = 0;
  return {
    answer,
    send(bytes: number): void {
      req.write(body.subarray(sent, sent + bytes));
      sent += bytes;
    },
    finish(): Promise<Answer | Error> {
      req.end(body.subarray(sent));
      return answer;
    },
    abort(): void {
      req.destroy();
    },
  };
}

async function answered(a: Promise<Answer | Error>): Promise<Answer> {
  const result = await a;
  if (result instanceof Error) throw result;
  return result;
}

const SIZE = 100_000;

describe('webhook uploads before their signature is checked are bounded (bytes and readers), with 429 + Retry-After past the bound', () => {
  let t: WebhookTestApp;
  let budget: UploadBudget;

  before(async () => {
    // Room for two 100 kB bodies at once, and three readers.
    t = await startWebhookApp({ bodyLimitBytes: 120_000, uploadBudget: { maxBytes: 250_000, maxReaders: 3, retryAfterSeconds: 2 } });
    budget = t.app.get(UploadBudget);
  });
  after(() => t?.close());

  const drained = () => waitUntil(() => budget.inUse.bytes === 0 && budget.inUse.readers === 0, { timeoutMs: 5_000 });

  it('slow uploads that hold the bytes make a further one 429 with Retry-After, unread; once they finish, deliveries are accepted again', async () => {
    const slow = [upload(t.url, pushOfSize(SIZE)), upload(t.url, pushOfSize(SIZE))];
    for (const s of slow) s.send(1_000);
    await waitUntil(() => budget.inUse.bytes === 2 * SIZE, { timeoutMs: 5_000 });

    const refused = upload(t.url, pushOfSize(SIZE));
    const answer = await answered(refused.finish());
    assert.equal(answer.status, 429);
    assert.equal(answer.headers['retry-after'], '2');
    assert.equal(answer.headers['connection'], 'close');
    assert.equal(answer.body.error?.code, 'webhook_busy');
    assert.deepEqual(budget.inUse, { bytes: 2 * SIZE, readers: 2 }, 'the refused body took nothing');

    const finished = await Promise.all(slow.map(async (s) => answered(s.finish())));
    assert.deepEqual(finished.map((a) => [a.status, a.body.result]), [[202, 'accepted'], [202, 'accepted']]);
    await drained();
    const again = await answered(upload(t.url, pushOfSize(SIZE)).finish());
    assert.deepEqual([again.status, again.body.result], [202, 'accepted']);
    await drained();
  });

  it('a chunked body is counted as it arrives and cut off with 429 when it would pass the budget', async () => {
    // Two slow senders hold 200 kB of the 250 kB; a third body, of unknown length, streams in.
    const holder = upload(t.url, pushOfSize(SIZE));
    holder.send(10);
    await waitUntil(() => budget.inUse.bytes === SIZE, { timeoutMs: 5_000 });
    const second = upload(t.url, pushOfSize(SIZE));
    second.send(10);
    await waitUntil(() => budget.inUse.bytes === 2 * SIZE, { timeoutMs: 5_000 });

    const streamed = upload(t.url, pushOfSize(SIZE), { chunked: true });
    streamed.send(40_000);
    await waitUntil(() => budget.inUse.bytes === 2 * SIZE + 40_000, { timeoutMs: 5_000 });
    streamed.send(20_000);
    const answer = await answered(streamed.answer);
    assert.equal(answer.status, 429);
    assert.equal(answer.headers['retry-after'], '2');
    await waitUntil(() => budget.inUse.readers === 2, { timeoutMs: 5_000 });
    assert.equal(budget.inUse.bytes, 2 * SIZE, 'the cut-off body gave back what it held');
    streamed.abort();

    for (const h of [holder, second]) assert.equal((await answered(h.finish())).status, 202);
    await drained();
  });

  it('past the reader bound a request is 429 at once; an aborted upload, a bad signature and a 413 give back their share', async () => {
    const small = Buffer.from(JSON.stringify(push));
    const readers = [upload(t.url, small), upload(t.url, small), upload(t.url, small)];
    for (const r of readers) r.send(10);
    await waitUntil(() => budget.inUse.readers === 3, { timeoutMs: 5_000 });
    const refused = await answered(upload(t.url, small).finish());
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '2');

    readers[0]!.abort();
    await waitUntil(() => budget.inUse.readers === 2, { timeoutMs: 5_000 });
    const forged = await answered(upload(t.url, small, { signature: sign(small, 'not-the-secret') }).finish());
    assert.equal(forged.status, 401);
    const tooLarge = await answered(upload(t.url, pushOfSize(130_000)).finish());
    assert.equal(tooLarge.status, 413);
    assert.equal(budget.inUse.readers, 2);

    for (const r of readers.slice(1)) assert.equal((await answered(r.finish())).status, 202);
    await drained();
    assert.deepEqual(budget.inUse, { bytes: 0, readers: 0 }, 'nothing leaked');
  });
});

describe('hostile: 500 concurrent slow clients', () => {
  let t: WebhookTestApp;
  let budget: UploadBudget;

  before(async () => {
    // The shipped bounds (64 readers, 64 MiB).
    t = await startWebhookApp();
    budget = t.app.get(UploadBudget);
  });
  after(() => t?.close());

  it('each gets a 4xx or its 202, never a 5xx; the bodies read at once and the bytes held stay bounded; the service takes the next delivery', async () => {
    const body = pushOfSize(SIZE);
    const before = process.memoryUsage().rss;
    let most = { readers: 0, bytes: 0, rss: 0 };
    const sampler = setInterval(() => {
      most = { readers: Math.max(most.readers, budget.inUse.readers), bytes: Math.max(most.bytes, budget.inUse.bytes), rss: Math.max(most.rss, process.memoryUsage().rss) };
    }, 5);
    try {
      const slow = Array.from({ length: 500 }, () => upload(t.url, body));
      for (const s of slow) s.send(100);
      await waitUntil(() => budget.inUse.readers === 64, { timeoutMs: 20_000, message: 'the reader bound reached' });
      const answers = await Promise.all(slow.map(async (s) => s.finish()));
      const statuses = answers.map((a) => (a instanceof Error ? 0 : a.status));
      const counts = statuses.reduce<Record<number, number>>((acc, x) => ({ ...acc, [x]: (acc[x] ?? 0) + 1 }), {});
      process.stdout.write(`# 500 slow clients: ${JSON.stringify(counts)}, at most ${most.readers} bodies and ${Math.round(most.bytes / 1e6)} MB held, rss +${Math.round((most.rss - before) / 1e6)} MB\n`);
      assert.deepEqual(statuses.filter((x) => x !== 202 && x !== 429), [], 'each 202 or 429, never a 5xx');
      assert.ok(most.readers <= 64, `at most 64 bodies read at once (${most.readers})`);
      assert.ok(most.bytes <= 64 * 1024 * 1024);
    } finally {
      clearInterval(sampler);
    }
    await waitUntil(() => budget.inUse.readers === 0, { timeoutMs: 5_000 });
    const next = await answered(upload(t.url, pushOfSize(SIZE)).finish());
    assert.equal(next.status, 202);
  });
});
