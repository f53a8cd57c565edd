import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeArgoCd } from '@sluice/fake-scm';
import { ArgoCdClient } from '../adapters/argocd-client';
import { ArgoCdAuthError, ArgoSync } from './argo-sync';

const REV = (n: number) => String(n).repeat(40).slice(0, 40);

describe('ArgoSync against the fake Argo CD (Argo CD’s API description)', () => {
  const argo = new FakeArgoCd({ tokens: ['argocd-token'], syncDurationMs: 150 });
  let sync: ArgoSync;

  before(async () => {
    await argo.start();
    for (const app of ['billing', 'broken', 'degraded']) argo.application(app, { repoURL: 'https://github.com/acme/gitops', path: `apps/${app}`, namespace: 'payments' });
    sync = new ArgoSync(new ArgoCdClient(argo.url, 'argocd-token', { retry: { attempts: 4, baseDelayMs: 10 } }), { pollMs: 50, timeoutMs: 10_000 });
  });
  after(() => argo.stop());

  it('refreshes, syncs once at the GitOps commit and reports Synced + Healthy as success', async () => {
    assert.deepEqual(await sync.syncAndFollow('billing', REV(1)), { kind: 'succeeded' });
    assert.deepEqual(argo.syncs, [{ app: 'billing', revision: REV(1) }]);
    assert.ok(argo.refreshes.includes('billing'), 'a hard refresh first');
  });

  it('an application already Synced and Healthy at that revision is not synced again (a redelivered request)', async () => {
    assert.deepEqual(await sync.syncAndFollow('billing', REV(1)), { kind: 'succeeded' });
    assert.equal(argo.syncs.length, 1);
  });

  it('Argo’s failure becomes the deploy’s failure, with Argo’s message; Degraded too', async () => {
    argo.nextSync('broken', { phase: 'Failed', message: 'one or more objects failed to apply: Deployment.apps "api" is invalid' });
    const failed = await sync.syncAndFollow('broken', REV(2));
    assert.equal(failed.kind, 'failed');
    assert.match(failed.kind === 'failed' ? failed.message : '', /Argo CD sync failed: one or more objects failed to apply: Deployment\.apps "api" is invalid/);
    argo.nextSync('degraded', { phase: 'Succeeded', health: 'Degraded' });
    const degraded = await sync.syncAndFollow('degraded', REV(3));
    assert.match(degraded.kind === 'failed' ? degraded.message : '', /Degraded: Deployment "api" exceeded its progress deadline/);
  });

  it('retries Argo’s 5xx with backoff; a refused token is a clear error, not retried', async () => {
    argo.injectFailure({ status: 503, times: 2, path: /\/sync$/ });
    assert.deepEqual(await sync.syncAndFollow('billing', REV(4)), { kind: 'succeeded' });
    const before = argo.requests.length;
    const refused = new ArgoSync(new ArgoCdClient(argo.url, 'wrong-token', { retry: { attempts: 4, baseDelayMs: 10 } }));
    await assert.rejects(refused.syncAndFollow('billing', REV(5)), (e: unknown) => e instanceof ArgoCdAuthError && /refused Sluice's API token \(401\)/.test((e as Error).message) && !(e as Error).message.includes('wrong-token'));
    assert.equal(argo.requests.length - before, 1, 'a 401 is not retried');
  });

  it('an unknown application and a timeout are failures that say so', async () => {
    await assert.rejects(sync.syncAndFollow('nope', REV(6)), /404/);
    const slow = new ArgoSync(new ArgoCdClient(argo.url, 'argocd-token'), { pollMs: 20, timeoutMs: 1 });
    argo.application('slow', { repoURL: 'https://github.com/acme/gitops', path: 'apps/slow', namespace: 'payments' });
    const verdict = await slow.syncAndFollow('slow', REV(7));
    assert.match(verdict.kind === 'failed' ? verdict.message : '', /did not report slow Synced and Healthy at 7777777 within 0 s/);
  });
});
