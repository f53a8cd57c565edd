import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '@sluice/testing';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ADMIN_TOKEN, eventsOf, publishOutcome, publishRepo, sha, startAutodeploy, type Harness } from './testing/harness';
import { BILLING_ROOT } from './testing/fixtures';

/**
 * Deploys as step flows (docs/architecture.md §1 "Steps") on real PostgreSQL: kube-applier's step
 * reports and outcomes (published as it would) become the deploy's `steps`, and a deploy stuck in
 * a step past AUTODEPLOY_STEP_DEADLINE_SECONDS fails there.
 */
const root = BILLING_ROOT;
const C1 = sha('c');

interface Step {
  name: string;
  state: string;
  result: string | null;
  error: { reason: string; message: string } | null;
  startedAt: string | null;
  endedAt: string | null;
}

describe('deploy steps and step deadlines', { timeout: 120_000 }, () => {
  let h: Harness;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  const deployView = async (id: string) => (await request(h.http).get(`/api/deploys/${id}`).set(admin).expect(200)).body as { phase: string; failure: { reason: string; message: string } | null; steps: Step[] };
  const green = async (artifactSha: string) => {
    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { repo: 'acme/billing', sha: artifactSha, branch: 'main', buildName: 'ci', status: 'completed', conclusion: 'success', url: null });
    let deployId = '';
    await waitUntil(
      async () => {
        const requested = (await eventsOf(h.store, 'config-billing-api')).find((e) => e.type === 'deploy.requested' && e.data['artifactSha'] === artifactSha);
        deployId = (requested?.data['deployId'] as string | undefined) ?? '';
        return deployId !== '';
      },
      { timeoutMs: 20_000, message: `deploy of ${artifactSha}` },
    );
    await waitUntil(async () => (await request(h.http).get(`/api/deploys/${deployId}`).set(admin)).status === 200, { timeoutMs: 20_000, message: `deploy ${deployId} in the read model` });
    return deployId;
  };

  before(async () => {
    h = await startAutodeploy({ module: { stepDeadlineSeconds: 1 } });
    await publishRepo(h.bus, 'repo.branch.updated', 'acme/config', { repo: 'acme/config', defaultBranch: 'main', branch: 'main', headSha: C1, previousSha: null, headCommit: null, forced: false });
    await publishRepo(h.bus, 'repo.config.discovered', 'acme/config', { config: root, configSha: C1 });
  });

  after(async () => {
    await h?.close();
  });

  it('a deploy stuck in apply past its step deadline fails there, StepDeadlineExceeded; the steps after it are skipped; the step reports before it stay', async () => {
    const id = await green(sha('1'));
    const at = new Date().toISOString();
    await publishOutcome(h.bus, 'deploy.step', { deployId: id, config: 'billing-api', step: 'check-image', state: 'done', result: 'ghcr.io/acme/billing:main-1111111 is sha256:abc', error: null, childId: null, startedAt: at, endedAt: at });
    await publishOutcome(h.bus, 'deploy.step', { deployId: id, config: 'billing-api', step: 'render', state: 'done', result: '2 objects rendered', error: null, childId: null, startedAt: at, endedAt: at });
    // Redelivered: recorded once.
    await publishOutcome(h.bus, 'deploy.step', { deployId: id, config: 'billing-api', step: 'render', state: 'done', result: '2 objects rendered', error: null, childId: null, startedAt: at, endedAt: at });
    await publishOutcome(h.bus, 'deploy.started', { deployId: id, config: 'billing-api' });
    // ...and nothing more from kube-applier.
    await waitUntil(async () => (await deployView(id)).phase === 'failed', { timeoutMs: 20_000, message: 'the deploy failed by its step deadline' });
    const view = await deployView(id);
    assert.equal(view.failure?.reason, 'StepDeadlineExceeded');
    assert.match(view.failure!.message, /^stuck in step apply since \S+, past the step deadline of 1 s \(AUTODEPLOY_STEP_DEADLINE_SECONDS\)$/);
    assert.deepEqual(
      view.steps.map((s) => `${s.name}:${s.state}`),
      ['resolve:done', 'check-image:done', 'build:skipped', 'render:done', 'apply:failed', 'wait-healthy:skipped', 'test:skipped'],
    );
    assert.equal(view.steps[1]!.result, 'ghcr.io/acme/billing:main-1111111 is sha256:abc');
    assert.equal(view.steps[4]!.error?.reason, 'StepDeadlineExceeded');
    const steps = (await eventsOf(h.store, 'config-billing-api')).filter((e) => e.type === 'deploy.step' && e.data['deployId'] === id);
    assert.equal(steps.length, 2, 'each step report recorded once');
  });

  it('the queue moves on: the next green build deploys, and its steps follow its outcomes to succeeded', async () => {
    const id = await green(sha('2'));
    await publishOutcome(h.bus, 'deploy.started', { deployId: id, config: 'billing-api' });
    await publishOutcome(h.bus, 'deploy.applied', { deployId: id, config: 'billing-api', dryRun: false, inventory: [] });
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: id, config: 'billing-api' });
    await waitUntil(async () => (await deployView(id)).phase === 'succeeded', { timeoutMs: 20_000, message: 'succeeded' });
    const view = await deployView(id);
    assert.deepEqual(
      view.steps.map((s) => `${s.name}:${s.state}`),
      ['resolve:done', 'check-image:skipped', 'build:skipped', 'render:skipped', 'apply:done', 'wait-healthy:done', 'test:skipped'],
    );
  });

  describe('GET /api/deploys/{id}/logs', () => {
    let base: string;
    before(async () => {
      await h.app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(h.app.getHttpServer().address() as AddressInfo).port}`;
    });

    interface Entry {
      id: string;
      event: string;
      data: Record<string, unknown>;
    }

    /** Reads Server-Sent Events until `stop` says so (then disconnects) or the stream ends. */
    async function readSse(id: string, lastId: string | null, stop: (e: Entry) => boolean): Promise<Entry[]> {
      const controller = new AbortController();
      const res = await fetch(`${base}/api/deploys/${id}/logs`, { headers: { ...admin, ...(lastId ? { 'last-event-id': lastId } : {}) }, signal: controller.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const entries: Entry[] = [];
      let buffer = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith(':')) continue;
            const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
            const entry = { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> };
            entries.push(entry);
            if (stop(entry)) {
              controller.abort();
              return entries;
            }
          }
        }
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      }
      return entries;
    }

    it('streams steps and lines live; a reader that reconnects with Last-Event-ID gets the rest, nothing missed or repeated; ?follow=false is the same log as text', async () => {
      const id = await green(sha('3'));
      const at = new Date().toISOString();
      const first = readSse(id, null, (e) => e.event === 'step' && (e.data['step'] as { name: string; state: string }).name === 'apply');
      await new Promise((r) => setTimeout(r, 300));
      await publishOutcome(h.bus, 'deploy.step', { deployId: id, config: 'billing-api', step: 'check-image', state: 'done', result: 'found', error: null, childId: null, startedAt: at, endedAt: at });
      await publishOutcome(h.bus, 'deploy.step', { deployId: id, config: 'billing-api', step: 'render', state: 'done', result: '2 objects rendered', error: null, childId: null, startedAt: at, endedAt: at });
      await publishOutcome(h.bus, 'deploy.started', { deployId: id, config: 'billing-api' });
      const before = await first;
      assert.equal(before[0]!.event, 'line');
      assert.match(before[0]!.data['text'] as string, /^requested by autodeploy \(autodeploy\)/);
      // The reader is gone; the deploy goes on.
      const inventory = [
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'payments', name: 'billing-api' },
        { apiVersion: 'v1', kind: 'Service', namespace: 'payments', name: 'billing-api' },
      ];
      await publishOutcome(h.bus, 'deploy.applied', { deployId: id, config: 'billing-api', dryRun: false, inventory });
      await publishOutcome(h.bus, 'deploy.succeeded', { deployId: id, config: 'billing-api' });
      const rest = await readSse(id, before[before.length - 1]!.id, () => false);
      assert.equal(rest[rest.length - 1]!.event, 'end', 'the stream ends with the deploy');
      assert.deepEqual(rest[rest.length - 1]!.data['phase'], 'succeeded');

      const all = await readSse(id, null, () => false);
      assert.deepEqual([...before, ...rest].map((e) => e.id), all.map((e) => e.id), 'the two readings are the whole log, in order, once');
      const text = await request(h.http).get(`/api/deploys/${id}/logs?follow=false`).set(admin).expect(200);
      assert.match(text.headers['content-type'] as string, /^text\/plain/);
      const lines = (text.text as string).trimEnd().split('\n');
      assert.equal(lines.length, all.length);
      assert.ok(lines.some((l) => l.endsWith('applied Deployment payments/billing-api')));
      assert.ok(lines.some((l) => l.endsWith('step check-image done: found')));
      assert.ok(lines.some((l) => l.endsWith('step wait-healthy done: healthy')));
      assert.ok(lines[lines.length - 1]!.endsWith('deploy succeeded'));
    });

    it('another team’s deploy is 403, an unknown one 404, a bad Last-Event-ID or follow 400', async () => {
      const id = await green(sha('4'));
      const web = (await request(h.http).post('/api/admin/tokens').set(admin).send({ team: 'web' }).expect(201)).body as { token: string };
      await request(h.http).get(`/api/deploys/${id}/logs?follow=false`).set({ Authorization: `Bearer ${web.token}` }).expect(403);
      await request(h.http).get('/api/deploys/01890000-0000-7000-8000-00000000dead/logs').set(admin).expect(404);
      const bad = await request(h.http).get(`/api/deploys/${id}/logs`).set({ ...admin, 'last-event-id': 'yesterday' }).expect(400);
      assert.match(bad.body.error.message, /Last-Event-ID/);
      await request(h.http).get(`/api/deploys/${id}/logs?follow=maybe`).set(admin).expect(400);
    });
  });
});
