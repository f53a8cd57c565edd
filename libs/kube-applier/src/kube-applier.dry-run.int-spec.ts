import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { announceRevocation, announceTeamToken } from '@sluice/auth/testing';
import { Topics } from '@sluice/contracts';
import { waitUntil } from '@sluice/testing';
import { InMemorySpecSource } from './adapters/spec-sources';
import { outcomesOf, publish, request, sha, startKubeApplier, stepsOf, type Harness } from './testing/harness';

/*
 * The dry-run target (no cluster): requests are rendered and recorded in PostgreSQL,
 * reported applied with dryRun: true and succeeded, and the manifests are served by the API.
 */

const ADMIN = 'kube-applier-admin-token-for-tests';
const C1 = sha('c');
const CBAD = sha('e');
const specs = new InMemorySpecSource()
  .put('acme/config', C1, [
    { path: 'deploy/web/deploy.yaml', content: 'team: payments' },
    {
      path: 'deploy/web/app.yaml',
      content: `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: app, image: "ghcr.io/acme/app:old" }] }
---
apiVersion: v1
kind: Secret
metadata: { name: web-db }
stringData: { password: hunter2 }
`,
    },
  ])
  .put('acme/config', CBAD, [{ path: 'deploy/web/app.yaml', content: 'apiVersion: v1\nkind: Namespace\nmetadata: { name: prod }\n' }]);

describe('kube-applier dry-run target', () => {
  let h: Harness;
  let base: string;
  const get = async (path: string, token: string | null = ADMIN) => {
    const res = await fetch(`${base}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const waitFor = async (deployId: string, type: string) => {
    await waitUntil(async () => (await outcomesOf(h.store, 'web', deployId)).some((o) => o.type === type), { message: type });
    return outcomesOf(h.store, 'web', deployId);
  };

  before(async () => {
    h = await startKubeApplier({ env: { KUBE_APPLIER_TARGET: 'dry-run', SLUICE_ADMIN_TOKEN: ADMIN }, module: { specSource: specs }, http: true });
    base = `http://127.0.0.1:${((h.app.getHttpServer() as Server).address() as AddressInfo).port}`;
  });
  after(async () => {
    await h?.close();
  });

  it('records the rendered manifests and reports applied (dryRun) and succeeded', async () => {
    const id = await publish(h.bus, request({ config: 'web', namespace: 'payments', artifactSha: sha('1'), configSha: C1 }));
    const outcomes = await waitFor(id, 'deploy.succeeded');
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.applied', 'deploy.succeeded']);
    assert.equal(outcomes[1]!.data['dryRun'], true);
    assert.deepEqual(await stepsOf(h.store, 'web', id), ['check-image:skipped', 'render:done'], 'the steps before apply, reported with deploy.started');

    const { status, body } = await get(`/api/deploys/${id}/manifests`);
    assert.equal(status, 200);
    assert.equal(body['dryRun'], true);
    const manifests = body['manifests'] as Array<{ kind: string; metadata: { namespace: string; labels: Record<string, string> }; spec?: { template: { spec: { containers: Array<{ image: string }> } } }; stringData?: Record<string, string> }>;
    assert.deepEqual(manifests.map((m) => m.kind), ['Deployment', 'Secret']);
    assert.equal(manifests[0]!.spec!.template.spec.containers[0]!.image, `ghcr.io/acme/app:main-${sha('1').slice(0, 7)}`);
    assert.equal(manifests[0]!.metadata.namespace, 'payments');
    assert.equal(manifests[0]!.metadata.labels['sluice.dev/config'], 'web');
    assert.deepEqual(manifests[1]!.stringData, { password: '<redacted>' }, 'secret values are never served');

    const latest = await get('/api/configs/web/manifests');
    assert.equal(latest.status, 200);
    assert.equal(latest.body['deployId'], id);
  });

  it('fails a forbidden manifest terminally and keeps serving the last good manifests', async () => {
    const id = await publish(h.bus, request({ config: 'web', namespace: 'payments', artifactSha: sha('2'), configSha: CBAD }));
    const failed = (await waitFor(id, 'deploy.failed')).find((o) => o.type === 'deploy.failed')!;
    assert.equal(failed.data['reason'], 'ForbiddenKind');
    assert.equal(failed.data['terminal'], true);
    const own = await get(`/api/deploys/${id}/manifests`);
    assert.equal((own.body['renderError'] as { reason: string }).reason, 'ForbiddenKind');
    assert.notEqual((await get('/api/configs/web/manifests')).body['deployId'], id);
  });

  it('undeploys', async () => {
    const id = await publish(h.bus, request({ config: 'web', namespace: 'payments', artifactSha: null, configSha: null }, 'undeploy.requested'));
    assert.deepEqual((await waitFor(id, 'deploy.undeployed')).map((o) => o.type), ['deploy.started', 'deploy.undeployed']);
  });

  it('answers 400 for a malformed id and 404 for an unknown deploy or config', async () => {
    assert.equal((await get('/api/deploys/nope/manifests')).status, 400);
    assert.equal((await get('/api/deploys/00000000-0000-4000-8000-000000000000/manifests')).status, 404);
    assert.equal((await get('/api/configs/Not_A_Name/manifests')).status, 400);
    assert.equal((await get('/api/configs/unknown/manifests')).status, 404);
  });

  it('bearer auth: 401 without or with an unknown token; a team token (once announced) sees its own configs only, 403 for others; 401 once revoked', async () => {
    const id = await publish(h.bus, request({ config: 'web', namespace: 'payments', team: 'payments', artifactSha: sha('3'), configSha: C1 }));
    await waitFor(id, 'deploy.succeeded');
    const none = await get(`/api/deploys/${id}/manifests`, null);
    assert.equal(none.status, 401);
    assert.equal((none.body['error'] as { code: string }).code, 'unauthorized');
    assert.equal((await get(`/api/deploys/${id}/manifests`, `sl_${'0'.repeat(16)}_${'a'.repeat(43)}`)).status, 401);

    const payments = await announceTeamToken(h.bus, 'payments');
    const web = await announceTeamToken(h.bus, 'web');
    await waitUntil(async () => (await get(`/api/deploys/${id}/manifests`, payments.token)).status === 200, { message: 'payments token accepted' });
    assert.equal((await get('/api/configs/web/manifests', payments.token)).body['deployId'], id);
    await waitUntil(async () => (await get(`/api/deploys/${id}/manifests`, web.token)).status !== 401, { message: 'web token known' });
    const other = await get(`/api/deploys/${id}/manifests`, web.token);
    assert.equal(other.status, 403);
    assert.deepEqual(other.body['error'], { code: 'forbidden', message: 'team:web may not act on configs of team "payments"' });
    assert.equal((await get('/api/configs/web/manifests', web.token)).status, 403);

    await announceRevocation(h.bus, payments.id);
    await waitUntil(async () => (await get(`/api/deploys/${id}/manifests`, payments.token)).status === 401, { message: 'revoked token refused' });
    // A redelivered issue must not bring it back: the in-process topic is one partition, so once
    // the token announced after it is accepted, the redelivery has been handled.
    await h.bus.publish(Topics.auth, [payments.issued]);
    const later = await announceTeamToken(h.bus, 'payments');
    await waitUntil(async () => (await get(`/api/deploys/${id}/manifests`, later.token)).status === 200, { message: 'later token accepted' });
    assert.equal((await get(`/api/deploys/${id}/manifests`, payments.token)).status, 401);
  });
});
