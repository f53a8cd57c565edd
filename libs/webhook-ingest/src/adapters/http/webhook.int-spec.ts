import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { repoStream, Topics, type EventEnvelope, type RepoRef } from '@sluice/contracts';
import { metricsRegistry } from '@sluice/platform';
import { waitUntil } from '@sluice/testing';
import { normaliseDelivery, NORMALISED_EVENTS } from '@sluice/scm';
import { collect, post, pushHeaders, SECRETS, sign, startWebhookApp, type WebhookTestApp } from '../../test/webhook-app';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const examples: Array<{ name: string; examples: Array<Record<string, unknown>> }> = require('@octokit/webhooks-examples');

const examplesOf = (name: string) => examples.find((e) => e.name === name)!.examples;
const pushBody = JSON.stringify(examplesOf('push').find((p) => p.ref === 'refs/heads/master'));

describe('POST /webhooks/:provider (github)', () => {
  let t: WebhookTestApp;
  let published: EventEnvelope[];

  before(async () => {
    t = await startWebhookApp();
    published = await collect(t.bus, Topics.scm, 'test-observer');
  });
  after(() => t?.close());

  const storedDeliveries = async (id: string) =>
    Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_ingest.deliveries WHERE delivery_id = $1`, [id]))[0].n);

  it('accepts every normalised real example payload, stores it raw and relays its events to sluice.scm.v1', async () => {
    let expectedEvents = 0;
    const ids: string[] = [];
    for (const name of NORMALISED_EVENTS) {
      for (const payload of examplesOf(name)) {
        const id = randomUUID();
        const body = JSON.stringify(payload);
        const normalised = normaliseDelivery({ event: name, deliveryId: id, payload });
        const res = await post(t.url, { event: name, id, body });
        assert.equal(res.status, 202, `${name}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.deliveryId, id);
        assert.equal(res.body.result, normalised.kind === 'events' ? 'accepted' : 'ignored', name);
        if (normalised.kind === 'events') {
          expectedEvents += normalised.events.length;
          ids.push(id);
          const [row] = await t.dataSource.query(`SELECT event, raw FROM webhook_ingest.deliveries WHERE delivery_id = $1`, [id]);
          assert.equal(row.event, name);
          assert.equal(Buffer.from(row.raw).toString('utf8'), body, 'the raw body is stored byte for byte');
        }
      }
    }
    await waitUntil(() => ids.every((id) => published.some((e) => (e.data as { deliveryId: string }).deliveryId === id)), {
      timeoutMs: 10_000,
    });
    const ours = published.filter((e) => ids.includes((e.data as { deliveryId: string }).deliveryId));
    assert.equal(ours.length, expectedEvents);
    const types = new Set(ours.map((e) => e.type));
    for (const type of ['scm.push.received', 'scm.build.started', 'scm.build.completed', 'scm.pull-request.changed', 'scm.ref.created', 'scm.ref.deleted', 'scm.repository.renamed']) {
      assert.ok(types.has(type), type);
    }
    for (const e of ours) {
      assert.equal(e.stream, repoStream((e.data as { repo: RepoRef }).repo), 'the repository’s stream, by its identity');
      assert.equal(e.correlationId, (e.data as { deliveryId: string }).deliveryId, 'the delivery id correlates the events');
    }
  });

  it('accepts a delivery signed with any configured secret (rotation)', async () => {
    const res = await post(t.url, { event: 'push', id: randomUUID(), body: pushBody, signature: sign(pushBody, SECRETS[1]) });
    assert.equal(res.status, 202);
    assert.equal(res.body.result, 'accepted');
  });

  it("verifies on the raw bytes: GitHub's documented HMAC test vector passes the signature check", async () => {
    // secret "It's a Secret to Everybody", payload "Hello, World!" (docs.github.com, validating webhook deliveries)
    const vector = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal(sign('Hello, World!', "It's a Secret to Everybody"), vector);
    const other = await startWebhookApp({ secrets: ["It's a Secret to Everybody"] });
    try {
      const valid = await post(other.url, { event: 'push', id: randomUUID(), body: 'Hello, World!', signature: vector });
      // The signature matches, so the request gets past 401 and fails only as non-JSON.
      assert.equal(valid.status, 400);
      assert.equal((valid.body.error as { code: string }).code, 'bad_json');
      const tampered = await post(other.url, { event: 'push', id: randomUUID(), body: 'Hello, World?', signature: vector });
      assert.equal(tampered.status, 401);
    } finally {
      await other.close();
    }
  });

  it('verifies the exact bytes it stores: a body with bytes that are not UTF-8 is checked and kept as sent', async () => {
    const id = randomUUID();
    // 0xff 0xfe inside a commit message (a JSON string Sluice does not read, so the push still normalises).
    const at = pushBody.indexOf('"message":"') + '"message":"'.length;
    assert.ok(at > '"message":"'.length);
    const raw = Buffer.concat([Buffer.from(pushBody.slice(0, at)), Buffer.from([0xff, 0xfe]), Buffer.from(pushBody.slice(at))]);
    const reencoded = Buffer.from(raw.toString('utf8'), 'utf8');
    assert.notDeepEqual(reencoded, raw);
    const signedOverText = await postBytes(t.url, id, raw, sign(reencoded));
    assert.equal(signedOverText.status, 401, 'a signature over the decoded text is not a signature over these bytes');
    const signedOverBytes = await postBytes(t.url, id, raw, sign(raw));
    assert.deepEqual([signedOverBytes.status, (signedOverBytes.body as { result?: string }).result], [202, 'accepted'], JSON.stringify(signedOverBytes.body));
    const [row] = await t.dataSource.query(`SELECT raw FROM webhook_ingest.deliveries WHERE delivery_id = $1`, [id]);
    assert.deepEqual(Buffer.from(row.raw), raw, 'stored byte for byte');
  });

  it('answers 400 for each missing header, naming it', async () => {
    for (const [field, delivery] of [
      ['X-GitHub-Event', { event: '', id: randomUUID(), body: pushBody }],
      ['X-GitHub-Delivery', { event: 'push', id: '', body: pushBody }],
      ['X-Hub-Signature-256', { event: 'push', id: randomUUID(), body: pushBody, signature: null }],
    ] as const) {
      const res = await post(t.url, delivery);
      assert.equal(res.status, 400, field);
      assert.match((res.body.error as { message: string }).message, new RegExp(field));
    }
    const badId = await post(t.url, { event: 'push', id: 'not a guid!', body: pushBody });
    assert.equal(badId.status, 400);
  });

  it('answers 404 for a provider Sluice does not take webhooks of, naming the configured ones, storing nothing', async () => {
    const id = randomUUID();
    const body = JSON.stringify({ zen: 'x' });
    const res = await fetch(`${t.url}/webhooks/gitlab`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': id, 'x-hub-signature-256': sign(body) }, body });
    assert.equal(res.status, 404);
    assert.deepEqual(((await res.json()) as { error: unknown }).error, { code: 'unknown_provider', message: 'no webhook provider "gitlab" (configured: github)' });
    assert.equal(await storedDeliveries(id), 0);
  });

  it('answers 415 for a non-JSON content type (form-encoded webhooks)', async () => {
    for (const contentType of ['application/x-www-form-urlencoded', 'text/plain', null]) {
      const res = await post(t.url, { event: 'push', id: randomUUID(), body: pushBody, contentType });
      assert.equal(res.status, 415, String(contentType));
    }
  });

  it('answers 401 for a bad signature and 400 for signed bytes that are not JSON', async () => {
    const bad = await post(t.url, { event: 'push', id: randomUUID(), body: pushBody, signature: sign(pushBody, 'wrong') });
    assert.equal(bad.status, 401);
    const malformed = await post(t.url, { event: 'push', id: randomUUID(), body: pushBody, signature: `sha256=${'0'.repeat(10)}` });
    assert.equal(malformed.status, 401);
    const notJson = await post(t.url, { event: 'push', id: randomUUID(), body: '{"ref":' });
    assert.equal(notJson.status, 400);
    assert.equal((notJson.body.error as { code: string }).code, 'bad_json');
  });

  it('hostile: a signed body nested 100,000 deep is never a 5xx (ignored as not a webhook’s shape, or accepted when the depth is in a field Sluice does not read); the next delivery is taken', async () => {
    for (const deep of ['['.repeat(100_000) + ']'.repeat(100_000), '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)]) {
      const inside = pushBody.replace(/}$/, `,"extra":${deep}}`);
      for (const body of [deep, inside]) {
        const res = await post(t.url, { event: 'push', id: randomUUID(), body });
        assert.ok(res.status < 500, `${body.slice(0, 12)}…: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        assert.equal((res.body as { result: string }).result, body === inside ? 'accepted' : 'ignored', body.slice(0, 12));
      }
    }
    const next = await post(t.url, { event: 'push', id: randomUUID(), body: pushBody });
    assert.equal((next.body as { result: string }).result, 'accepted');
  });

  it('answers 202 ignored for unknown events and actions, without storing them', async () => {
    const ping = randomUUID();
    const res = await post(t.url, { event: 'ping', id: ping, body: JSON.stringify(examplesOf('ping')[0]) });
    assert.deepEqual([res.status, res.body.result], [202, 'ignored']);
    const labeled = examplesOf('pull_request').find((p) => p.action === 'labeled');
    const res2 = await post(t.url, { event: 'pull_request', id: randomUUID(), body: JSON.stringify(labeled) });
    assert.deepEqual([res2.status, res2.body.result], [202, 'ignored']);
    assert.equal(await storedDeliveries(ping), 0);
  });

  it('answers 202 duplicate for a delivery id seen before', async () => {
    const id = randomUUID();
    assert.equal((await post(t.url, { event: 'push', id, body: pushBody })).body.result, 'accepted');
    const again = await post(t.url, { event: 'push', id, body: pushBody });
    assert.deepEqual([again.status, again.body.result], [202, 'duplicate']);
  });

  it('1,000 copies of one delivery at concurrency 50: one stored delivery, one set of events, all 2xx', async () => {
    const id = randomUUID();
    const statuses: number[] = [];
    const results: Record<string, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < 1000) {
          next++;
          const res = await post(t.url, { event: 'push', id, body: pushBody });
          statuses.push(res.status);
          results[String(res.body.result)] = (results[String(res.body.result)] ?? 0) + 1;
        }
      }),
    );
    assert.equal(statuses.length, 1000);
    assert.ok(statuses.every((s) => s === 202), JSON.stringify(results));
    assert.deepEqual(results, { accepted: 1, duplicate: 999 });
    assert.equal(await storedDeliveries(id), 1);
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM webhook_ingest.events WHERE data->>'deliveryId' = $1`,
      [id],
    );
    assert.equal(row.n, 1);
  });

  it('answers 413 for a declared Content-Length over 25 MB without reading the body', async () => {
    const res = await rawRequest(t.url, { 'content-length': String(25 * 1024 * 1024 + 1) }, async (req) => {
      req.write('{"a":');
      // never sends the rest: the answer must not wait for it
    });
    assert.equal(res.status, 413);
  });

  it('cuts off a streamed body at 25 MB with 413 and closes the connection (memory bounded)', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const res = await rawRequest(t.url, { 'transfer-encoding': 'chunked' }, async (req, answered) => {
      req.write('{"a":"');
      // An endless upload: only the server's cut-off ends it.
      while (!answered() && sent < 200 * chunk.length) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        sent += chunk.length;
      }
    });
    // 413, or (when the close overtook the answer on the client side) a connection the server cut.
    assert.ok(res.status === 413 || res.cutOff, `413 or cut off, got ${res.status}`);
    assert.ok(sent < 200 * chunk.length, `the upload was cut off (sent ${sent} bytes)`);
    assert.ok(sent >= 25 * 1024 * 1024, 'the cap is 25 MB');
  });

  it('counts deliveries by result in /metrics and sets server timeouts', async () => {
    const server = t.app.getHttpServer() as Server;
    assert.ok(server.headersTimeout > 0 && server.headersTimeout <= 10_000);
    assert.ok(server.requestTimeout > 0);
    const text = await metricsRegistry.getSingleMetricAsString('sluice_webhook_deliveries_total');
    for (const result of ['accepted', 'duplicate', 'ignored', 'bad_signature', 'bad_request', 'unsupported_media_type', 'too_large']) {
      assert.match(text, new RegExp(`result="${result}"`), result);
    }
  });

  it('also works behind an app-level JSON parser that keeps the raw body (all-in-one mode)', async () => {
    const other = await startWebhookApp({ rawBodyParser: true });
    try {
      const res = await post(other.url, { event: 'push', id: randomUUID(), body: pushBody });
      assert.deepEqual([res.status, res.body.result], [202, 'accepted']);
      const bad = await post(other.url, { event: 'push', id: randomUUID(), body: pushBody, signature: sign(pushBody, 'x') });
      assert.equal(bad.status, 401);
    } finally {
      await other.close();
    }
  });
});

async function postBytes(baseUrl: string, id: string, body: Buffer, signature: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${baseUrl}/webhooks/github`, {
    method: 'POST',
    headers: pushHeaders(signature, { 'x-github-delivery': id }),
    body,
  });
  return { status: res.status, body: await res.json() };
}

/** A hand-driven request, for bodies fetch cannot send (lying Content-Length, endless streams). */
function rawRequest(
  baseUrl: string,
  headers: Record<string, string>,
  write: (req: ReturnType<typeof request>, answered: () => boolean) => Promise<void>,
): Promise<{ status: number; cutOff?: boolean }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${baseUrl}/webhooks/github`, {
      method: 'POST',
      headers: pushHeaders(sign('x'), headers),
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return;
      // The server answered 413 and closed while we were still writing: the write can fail
      // (EPIPE/ECONNRESET) before the client has parsed the answer. Give the answer a moment.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') {
        setTimeout(() => (answered ? undefined : resolve({ status: 0, cutOff: true })), 1000);
        return;
      }
      reject(err);
    });
    write(req, () => answered).catch(() => undefined);
  });
}
