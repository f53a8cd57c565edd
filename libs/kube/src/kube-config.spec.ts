import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { clusterSourceOf, KubeConfigError, KubeCredentials, loadKubeConfig, withBearerToken } from './kube-config';

const dir = mkdtempSync(join(tmpdir(), 'kube-config-'));
writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
writeFileSync(join(dir, 'client.key'), 'KEY PEM');
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(
  kubeconfig,
  [
    'apiVersion: v1',
    'kind: Config',
    'current-context: main',
    'clusters:',
    '- name: c1',
    '  cluster: { server: "https://10.0.0.1:6443", certificate-authority: ca.crt, tls-server-name: api.local }',
    'users:',
    '- name: u1',
    `  user: { token: t0k3n, client-key: client.key, client-certificate-data: ${Buffer.from('CERT PEM').toString('base64')}, as: someone }`,
    '- name: u2',
    '  user: { username: alice, password: secret }',
    'contexts:',
    '- name: main',
    '  context: { cluster: c1, user: u1 }',
    '- name: basic',
    '  context: { cluster: c1, user: u2 }',
    '',
  ].join('\n'),
);

async function optionsOf(kc: { applyToHTTPSOptions(o: https.RequestOptions): Promise<void> }): Promise<https.RequestOptions> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return opts;
}

describe('KubeCredentials (kubeconfig without client-node generated clients)', () => {
  it('applies the same request options as client-node KubeConfig for a kubeconfig file', async () => {
    const ours = loadKubeConfig({ from: 'file', path: kubeconfig });
    const theirs = new KubeConfig();
    theirs.loadFromFile(kubeconfig);
    const [a, b] = [await optionsOf(ours), await optionsOf(theirs)];
    for (const key of ['ca', 'cert', 'key', 'servername', 'headers', 'auth', 'rejectUnauthorized'] as const) assert.deepEqual(a[key], b[key], key);
    assert.equal(String(a.ca), 'CA PEM');
    assert.deepEqual(a.headers, { Authorization: 'Bearer t0k3n', 'Impersonate-User': 'someone' });
    assert.equal(ours.getCurrentCluster()?.server, 'https://10.0.0.1:6443');
  });

  it('selects a context and uses basic auth', async () => {
    const ours = loadKubeConfig({ from: 'file', path: kubeconfig, context: 'basic' });
    assert.equal((await optionsOf(ours)).auth, 'alice:secret');
  });

  it('takes the cluster from the first KUBECONFIG file, else from the pod environment, else none', () => {
    assert.deepEqual(clusterSourceOf({ KUBECONFIG: '/a/config:/b/config', KUBERNETES_SERVICE_HOST: '10.96.0.1' }), { from: 'file', path: '/a/config' });
    assert.deepEqual(clusterSourceOf({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '6443' }), { from: 'in-cluster', host: '10.96.0.1', port: '6443' });
    assert.deepEqual(clusterSourceOf({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }), { from: 'in-cluster', host: '10.96.0.1', port: '443' });
    assert.equal(clusterSourceOf({}), undefined);
  });

  it('loads the in-cluster service account', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(root, 'token'), 'sa-token');
    writeFileSync(join(root, 'ca.crt'), 'SA CA');
    writeFileSync(join(root, 'namespace'), 'sluice');
    const kc = new KubeCredentials();
    kc.loadFromCluster({ host: 'fd00::1', port: '443' }, root);
    assert.equal(kc.getCurrentCluster()?.server, 'https://[fd00::1]:443');
    const opts = await optionsOf(kc);
    assert.equal(String(opts.ca), 'SA CA');
    assert.equal((opts.headers as Record<string, string>)['Authorization'], 'Bearer sa-token');
  });

  it('keeps the cluster and swaps the user for a bearer token; refuses a config without a cluster', async () => {
    const kc = withBearerToken(loadKubeConfig({ from: 'file', path: kubeconfig }), 'other');
    const opts = await optionsOf(kc);
    assert.equal(String(opts.ca), 'CA PEM');
    assert.deepEqual(opts.headers, { Authorization: 'Bearer other' });
    assert.throws(() => loadKubeConfig({ from: 'file', path: kubeconfig, context: 'nowhere' }), KubeConfigError);
  });
});
