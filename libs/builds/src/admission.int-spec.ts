// The BuildRun validating admission webhook, called by the real kube-apiserver over HTTPS: what
// needs other objects (the owner DeployConfig exists; one build per target) is refused before
// the BuildRun exists, whoever creates it (a `kubectl create` here).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request as httpsRequest } from 'node:https';
import { KubeError, patchStatus, type KubeClient, type KubeObject } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace, eventually } from '@sluice/kube/testing';
import { startAdmissionServer, type AdmissionServer, type BuildRunObject } from './index';
import { registerBuildRunWebhook, selfSignedCertificate, type ServingCertificate } from './testing';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('BuildRun admission webhook on kube-apiserver', { timeout: 120_000 }, () => {
  let kube: KubeClient;
  let namespace: string;
  let cert: ServingCertificate;
  let server: AdmissionServer;
  let unregister: () => Promise<void>;

  before(async () => {
    kube = adminClient();
    namespace = await createTestNamespace(kube, 'payments-admission');
    cert = selfSignedCertificate();
    server = await startAdmissionServer({ kube, logger: quiet, certFile: cert.certFile, keyFile: cert.keyFile, port: 0, host: '127.0.0.1' });
    unregister = await registerBuildRunWebhook(kube, { name: `sluice-buildruns-${namespace}`, port: Number(new URL(server.url).port), caPem: cert.pem, namespace });
  });

  after(async () => {
    await unregister?.();
    await server?.close();
    await deleteTestNamespace(kube, namespace);
  });

  const deployConfig = (name: string): Promise<KubeObject> =>
    kube.create({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', metadata: { name, namespace }, spec: { team: 'payments', artifactSha: null, configSha: null, imageTag: null, specs: [] } } as KubeObject);

  const buildRun = (name: string, config: string, owner?: { name: string; uid: string }, target = 'staging', dryRun = false): Promise<BuildRunObject> =>
    kube.create(
      {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'BuildRun',
        metadata: { name, namespace, ...(owner ? { ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', name: owner.name, uid: owner.uid }] } : {}) },
        spec: { config, target, repo: 'acme/billing', ref: 'main', commitSha: SHA, image: 'ghcr.io/acme/builder:1', command: ['make'], timeoutSeconds: 600 },
      } as unknown as BuildRunObject,
      { dryRun },
    );

  /** The refusal the API server passes on from the webhook. */
  const refusal = async (create: () => Promise<unknown>): Promise<KubeError> => {
    try {
      await create();
    } catch (error) {
      if (error instanceof KubeError) return error;
      throw error;
    }
    assert.fail('the BuildRun was admitted');
  };

  it('refuses a BuildRun without an owner reference (once the API server has the webhook)', async () => {
    // The API server learns of webhook configurations through an informer: wait until it calls ours.
    const error = await eventually(async () => {
      try {
        await buildRun('no-owner', 'billing-api', undefined, 'staging', true);
        return undefined;
      } catch (e) {
        return e as KubeError;
      }
    }, 30_000, 'the webhook in effect');
    assert.equal(error.status, 403);
    assert.match(error.message, /must have an owner reference to its DeployConfig "billing-api"/);
  });

  it('refuses a BuildRun whose owner DeployConfig does not exist', async () => {
    const error = await refusal(() => buildRun('ghost', 'ghost', { name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' }));
    assert.equal(error.status, 403);
    assert.match(error.message, /DeployConfig "ghost" does not exist/);
  });

  it('admits one build per target: a second is refused while the first has not ended, admitted once it has', async () => {
    const owner = await deployConfig('billing-api');
    const ref = { name: 'billing-api', uid: owner.metadata.uid! };
    await buildRun('billing-api-staging-1', 'billing-api', ref);
    const busy = await refusal(() => buildRun('billing-api-staging-2', 'billing-api', ref));
    assert.equal(busy.status, 403);
    assert.match(busy.message, /target staging of billing-api is busy: BuildRun billing-api-staging-1 \(Pending\) has not ended/);
    await buildRun('billing-api-production-1', 'billing-api', ref, 'production');
    await patchStatus(kube, { apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace, name: 'billing-api-staging-1' }, { phase: 'Canceled', message: 'superseded' });
    const admitted = await buildRun('billing-api-staging-2', 'billing-api', ref);
    assert.equal(admitted.metadata.name, 'billing-api-staging-2');
  });

  it('answers a malformed review 400 and another method 405, over TLS', async () => {
    const call = (method: string, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest(server.url, { method, ca: cert.pem, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
    assert.equal(await call('POST', '{"kind":'), 400);
    assert.equal(await call('POST', JSON.stringify({ kind: 'AdmissionReview', request: {} })), 400);
    assert.equal(await call('GET'), 405);
  });
});
