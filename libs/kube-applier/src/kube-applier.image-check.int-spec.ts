import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { waitUntil } from '@sluice/testing';
import { TestRegistry } from '@sluice/image-registry/testing';
import { InMemorySpecSource } from './adapters/spec-sources';
import { outcomesOf, publish, request, sha, startKubeApplier, stepsOf, type Harness } from './testing/harness';

/**
 * Step check-image (docs/architecture.md §1 "Steps") against the real registry of the test
 * infrastructure (infra/registry.sh, token auth): a tag that is not there fails the deploy at
 * that step, before anything is applied; a pushed one passes with its digest.
 */
const C1 = sha('c');
const specs = new InMemorySpecSource().put('acme/config', C1, [
  {
    path: 'deploy/web/app.yaml',
    content: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec: { containers: [{ name: app, image: "placeholder" }] }\n',
  },
]);

describe('kube-applier checks the image in its registry before applying', () => {
  const registry = new TestRegistry();
  const repository = `acme/web-${randomBytes(4).toString('hex')}`;
  const image = `${registry.host}/${repository}`;
  let h: Harness;

  const settled = async (deployId: string) => {
    await waitUntil(async () => (await outcomesOf(h.store, 'web', deployId)).some((o) => o.type === 'deploy.succeeded' || o.type === 'deploy.failed'), { message: 'the deploy ends' });
    return outcomesOf(h.store, 'web', deployId);
  };
  const stepData = async (deployId: string, step: string) =>
    (await h.store.readStream('applier-web')).find((e) => e.type === 'deploy.step' && (e.data as { deployId: string; step: string }).deployId === deployId && (e.data as { step: string }).step === step)!.data as {
      state: string;
      result: string | null;
      error: { reason: string; message: string } | null;
    };

  before(async () => {
    h = await startKubeApplier({
      env: { KUBE_APPLIER_TARGET: 'dry-run', KUBE_APPLIER_IMAGE_CHECK: registry.host, SLUICE_REGISTRY_CREDENTIALS: JSON.stringify(registry.credentials) },
      module: { specSource: specs },
    });
  });
  after(async () => {
    await h?.close();
  });

  it('a tag that is not in the registry fails the deploy at check-image with a clear message; nothing is rendered or applied', async () => {
    const id = await publish(h.bus, request({ config: 'web', namespace: 'payments', artifactSha: sha('1'), configSha: C1, artifactImage: image, imageTag: 'main-1111111' }));
    const outcomes = await settled(id);
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.failed']);
    assert.equal(outcomes[1]!.data['reason'], 'ImageNotFound');
    assert.match(outcomes[1]!.data['message'] as string, new RegExp(`^${image.replace(/[.]/g, '\\.')}:main-1111111 is not in the registry`));
    assert.deepEqual(await stepsOf(h.store, 'web', id), ['check-image:failed']);
    assert.equal((await stepData(id, 'check-image')).error?.reason, 'ImageNotFound');
  });

  it('a pushed tag passes check-image with its digest, and the deploy goes on', async () => {
    const digest = await registry.pushImage(repository, 'main-2222222');
    const id = await publish(h.bus, request({ config: 'web', namespace: 'payments', artifactSha: sha('2'), configSha: C1, artifactImage: image, imageTag: 'main-2222222' }));
    const outcomes = await settled(id);
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.applied', 'deploy.succeeded']);
    assert.deepEqual(await stepsOf(h.store, 'web', id), ['check-image:done', 'render:done']);
    assert.equal((await stepData(id, 'check-image')).result, `${image}:main-2222222 is ${digest}`);
  });

  it('an image of a registry Sluice is not told to check is left unchecked, saying so', async () => {
    const id = await publish(h.bus, request({ config: 'web', namespace: 'payments', artifactSha: sha('3'), configSha: C1, artifactImage: 'ghcr.io/acme/web', imageTag: 'main-3333333' }));
    await settled(id);
    const step = await stepData(id, 'check-image');
    assert.equal(step.state, 'skipped');
    assert.equal(step.result, 'image check off for ghcr.io (KUBE_APPLIER_IMAGE_CHECK)');
  });
});
