import assert from 'node:assert/strict';
import { get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Topics } from '@sluice/contracts';
import { waitUntil } from '@sluice/testing';
import request from 'supertest';
import { isAfter } from './application/deploy-log';
import { ADMIN_TOKEN, envelope, eventsOf, publishOutcome, publishRepo, sha, startAutodeploy, type Harness } from './testing/harness';
import { BILLING_ROOT } from './testing/fixtures';

/**
 * Live logs and a slow reader (docs/architecture.md §7, `GET /api/deploys/{id}/logs`): "a slow reader
 * never slows the deploy; memory per stream is bounded". A reader that stops reading holds only its
 * own stream: the server's buffer for it stays within the response's high-water mark plus one entry
 * (ResponseSink waits for `drain`), the deploy's events are recorded and projected meanwhile, and
 * once the reader reads again it gets every entry, in order, once.
 */
const C1 = sha('c');
const LINE_CHARS = 4000; // the most a deploy.log line may hold
const LINES_PER_EVENT = 50; // the most a deploy.log event may hold
const LOG_EVENTS = 40; // 40 × 50 × 4,000 = 8 MB of text: past what the kernel's socket buffers take on loopback

describe('deploy logs and a reader that does not read', { timeout: 300_000 }, () => {
  let h: Harness;
  let base: string;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  /** The server side of each GET …/logs (follow), as it is answered. */
  const responses: ServerResponse[] = [];

  before(async () => {
    h = await startAutodeploy();
    await publishRepo(h.bus, 'repo.branch.updated', 'acme/config', { repo: 'acme/config', defaultBranch: 'main', branch: 'main', headSha: C1, previousSha: null, headCommit: null, forced: false });
    await publishRepo(h.bus, 'repo.config.discovered', 'acme/config', { config: BILLING_ROOT, configSha: C1 });
    await h.app.listen(0, '127.0.0.1');
    const server = h.app.getHttpServer() as import('node:http').Server;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (/\/logs$/.test(req.url ?? '')) responses.push(res);
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await h?.close();
  });

  it('a stalled reader holds a bounded buffer and never slows the deploy; reading again, it gets every entry in order, once; ?follow=false is all of it as text', async () => {
    const artifactSha = sha('5');
    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { repo: 'acme/billing', sha: artifactSha, branch: 'main', buildName: 'ci', status: 'completed', conclusion: 'success', url: null });
    let id = '';
    await waitUntil(
      async () => {
        const requested = (await eventsOf(h.store, 'config-billing-api')).find((e) => e.type === 'deploy.requested' && e.data['artifactSha'] === artifactSha);
        id = (requested?.data['deployId'] as string | undefined) ?? '';
        return id !== '' && (await request(h.http).get(`/api/deploys/${id}`).set(admin)).status === 200;
      },
      { timeoutMs: 30_000, message: 'the deploy requested and in the read model' },
    );
    await publishOutcome(h.bus, 'deploy.started', { deployId: id, config: 'billing-api' });

    // The reader: its response is never read (no 'data' listener, paused), so the socket's
    // receive buffer fills and the server's writes stop draining.
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      get(`${base}/api/deploys/${id}/logs`, { headers: admin }, resolve).on('error', reject);
    });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/event-stream/);
    res.pause();
    await waitUntil(async () => responses.length === 1, { timeoutMs: 10_000, message: 'the server answers the reader' });
    const served = responses[0]!;

    let maxBuffered = 0;
    let maxListeners = 0;
    let stalled = false;
    // Each wait for drain must leave nothing behind: the response's listeners must not grow with the log.
    const listeners = setInterval(() => (maxListeners = Math.max(maxListeners, served.listenerCount('close'), served.listenerCount('error'), served.listenerCount('drain'))), 5);
    const sample = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, served.writableLength);
      if (served.writableNeedDrain) stalled = true;
    }, 5);
    try {
      // The deploy writes its log: 8 MB of lines, while the reader reads nothing.
      const text = (e: number, l: number) => `line ${e}.${l} `.padEnd(LINE_CHARS, 'x');
      const started = Date.now();
      for (let e = 0; e < LOG_EVENTS; e++) {
        const at = new Date().toISOString();
        const lines = Array.from({ length: LINES_PER_EVENT }, (_, l) => ({ at, text: text(e, l) }));
        await h.bus.publish(Topics.deploy, [envelope('deploy.log', 'applier-billing-api', { deployId: id, config: 'billing-api', source: 'kubernetes', lines })]);
      }
      await publishOutcome(h.bus, 'deploy.applied', { deployId: id, config: 'billing-api', dryRun: false, inventory: [] });
      await publishOutcome(h.bus, 'deploy.succeeded', { deployId: id, config: 'billing-api' });
      // The deploy ends and is projected while the reader still reads nothing.
      await waitUntil(async () => ((await request(h.http).get(`/api/deploys/${id}`).set(admin).expect(200)).body as { phase: string }).phase === 'succeeded', {
        timeoutMs: 60_000,
        message: 'the deploy succeeded while its reader was stalled',
      });
      const tookMs = Date.now() - started;
      const recorded = (await eventsOf(h.store, 'config-billing-api')).filter((e) => e.type === 'deploy.log' && e.data['deployId'] === id);
      assert.equal(recorded.length, LOG_EVENTS, 'every log report recorded');
      const t0 = Date.now();
      await request(h.http).get(`/api/deploys/${id}`).set(admin).expect(200);
      assert.ok(Date.now() - t0 < 5_000, 'GET /api/deploys/{id} answers promptly while the reader is stalled');

      // Still stalled: the stream waits for its reader, the deploy did not.
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(stalled, 'the server saw the reader stall (a write waited for drain)');
      assert.ok(served.writableNeedDrain, `the stream is still held by its reader after the deploy ended (${tookMs} ms)`);
      assert.ok(!served.writableEnded, 'the stream has not ended: the reader has not read the end yet');
      // Bounded: the high-water mark plus one entry (an entry is at most a line of 4,000 characters and its JSON).
      const bound = served.writableHighWaterMark + 8 * 1024;
      assert.ok(maxBuffered > 0, 'the server buffered for the reader');
      assert.ok(maxBuffered <= bound, `the server buffered at most ${bound} bytes for the stalled reader, not ${maxBuffered} (log: ${LOG_EVENTS * LINES_PER_EVENT * LINE_CHARS} bytes)`);
    } finally {
      clearInterval(sample);
    }

    // The reader reads again: the whole log, in order, once, to the end.
    const entries: Array<{ id: string; event: string; data: Record<string, unknown> }> = [];
    let buffer = '';
    res.setEncoding('utf8');
    for await (const chunk of res as AsyncIterable<string>) {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) continue;
        const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
        entries.push({ id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> });
      }
    }
    clearInterval(listeners);
    assert.ok(maxListeners <= 5, `at most 5 listeners of an event on the response, whatever the log's length, not ${maxListeners}`);
    assert.ok(entries.every((e) => /^\d+\.\d+$/.test(e.id)), 'every entry has an id');
    for (let i = 1; i < entries.length; i++) assert.ok(isAfter(entries[i]!.id, entries[i - 1]!.id), `entry ${entries[i]!.id} comes after ${entries[i - 1]!.id}`);
    const logLines = entries.filter((e) => e.event === 'line' && (e.data['text'] as string).startsWith('kubernetes: line '));
    assert.equal(logLines.length, LOG_EVENTS * LINES_PER_EVENT, 'every log line arrived');
    logLines.forEach((e, i) => assert.ok((e.data['text'] as string).startsWith(`kubernetes: line ${Math.floor(i / LINES_PER_EVENT)}.${i % LINES_PER_EVENT} `), `line ${i} in order`));
    assert.equal(entries[entries.length - 1]!.event, 'end');
    assert.equal(entries[entries.length - 1]!.data['phase'], 'succeeded');

    const text = await request(h.http).get(`/api/deploys/${id}/logs?follow=false`).set(admin).expect(200);
    assert.match(text.headers['content-type'] as string, /^text\/plain/);
    const lines = (text.text as string).trimEnd().split('\n');
    assert.equal(lines.length, entries.length, 'the text is the same log, a line per entry');
    assert.equal(lines.filter((l) => / kubernetes: line \d+\.\d+ x+$/.test(l)).length, LOG_EVENTS * LINES_PER_EVENT);
    assert.ok(lines[lines.length - 1]!.endsWith('deploy succeeded'));
  });
});
