import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyObject, KubeClient, withBearerToken, type KubeObject } from '@sluice/kube';
import { parseAllDocuments } from 'yaml';

/** Test-only helpers for the real kube-apiserver (not exported from the library). */

export const SYSTEM_NS = 'sluice-system';

export function requireKubeconfig(): string {
  const path = process.env.KUBECONFIG;
  if (!path) throw new Error('KUBECONFIG is not set: run infra/test-env.sh and source /tmp/dev-infra/env');
  return path;
}

export async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The CRDs and RBAC as in deploy/ (additive changes of this service included), applied by the admin. */
export async function applyDeployManifests(admin: KubeClient): Promise<void> {
  const root = join(__dirname, '../../../..');
  for (const file of ['deploy/crds/sluice.dev_commitstatuses.yaml', 'deploy/crds/sluice.dev_gitrepos.yaml', 'deploy/rbac/commit-status.yaml']) {
    for (const doc of parseAllDocuments(readFileSync(join(root, file), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (obj) await applyObject(admin, obj, { fieldManager: 'sluice-deploy', force: true });
    }
  }
  // Wait until the CRD's new schema serves (status.scm kept, not pruned).
  await new Promise((r) => setTimeout(r, 500));
}

export async function serviceAccountClient(admin: KubeClient): Promise<KubeClient> {
  const res = await admin.request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${SYSTEM_NS}/serviceaccounts/sluice-commit-status/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 900 } },
  });
  return new KubeClient(withBearerToken(admin.config, res.status.token));
}

