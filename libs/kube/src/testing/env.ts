import { randomBytes } from 'node:crypto';
import { KubeClient } from '../client';
import { loadKubeConfig } from '../kube-config';

/*
 * Helpers for integration tests against the kube-apiserver started by infra/kube.sh.
 * Not exported from the library's index: test code only.
 */

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: start the test cluster with "infra/kube.sh up <rundir>" and source <rundir>/kube.env`);
  }
  return value;
}

/** A client for the test cluster's admin (system:masters), from KUBECONFIG. */
export function adminClient(): KubeClient {
  return new KubeClient(loadKubeConfig({ from: 'file', path: requiredEnv('KUBECONFIG') }));
}

export function etcdUrl(): string {
  return requiredEnv('SLUICE_TEST_ETCD_URL');
}

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Creates a namespace with a random suffix, so test files can run concurrently. Deleting it
 * deletes what is in it (the test control plane runs the namespace controller); the whole
 * etcd store is thrown away by infra/kube.sh down anyway.
 */
export async function createTestNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomSuffix()}`;
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'sluice.dev/test': 'true' } } });
  return name;
}

export async function deleteTestNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete({ apiVersion: 'v1', kind: 'Namespace', name });
}

/** A bound service-account token from the TokenRequest API. */
export async function serviceAccountToken(client: KubeClient, namespace: string, serviceAccount: string, expirationSeconds = 600): Promise<string> {
  const res = await client.request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
  });
  return res.status.token;
}

/** Polls until fn returns a truthy value. */
export async function eventually<T>(fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
