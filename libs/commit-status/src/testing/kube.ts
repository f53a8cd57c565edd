import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyObject, KubeClient, withBearerToken, type KubeObject } from '@sluice/kube';
import { serviceAccountMay } from '@sluice/kube/testing';
import type { Logger } from '@sluice/platform';
import { CommitStatusRuntime } from '../application/commit-status-runtime';
import type { ProviderSettings } from '../application/credentials';
import { Reconciler } from '../application/reconciler';
import { API_VERSION, KubeCommitStatusStore } from '../adapters/kube/kube-store';
import { DefaultScmStatusProviders } from '../adapters/scm/providers';
import { parseAllDocuments } from 'yaml';
import { ScmClients } from '@sluice/scm';

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

/** The Role of deploy/rbac that names the token Secrets commit-status may read: the operator's list, not the tests'. */
const SECRETS_ROLE = 'sluice-commit-status-secrets';

/**
 * The CRDs and RBAC as in deploy/ (additive changes of this service included), applied by the
 * admin — except the Secrets Role and its binding: a test grants the Secrets it made with
 * grantSecrets, so no run narrows or widens the names another run relies on.
 */
export async function applyDeployManifests(admin: KubeClient): Promise<void> {
  const root = join(__dirname, '../../../..');
  for (const file of ['deploy/crds/sluice.dev_commitstatuses.yaml', 'deploy/crds/sluice.dev_gitrepos.yaml', 'deploy/rbac/commit-status.yaml']) {
    for (const doc of parseAllDocuments(readFileSync(join(root, file), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (obj && obj.metadata.name !== SECRETS_ROLE) await applyObject(admin, obj, { fieldManager: 'sluice-deploy', force: true });
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


/**
 * What the operator does for a GitRepo's token Secret (deploy/rbac/README.md): lets the
 * ServiceAccount get these Secrets by name, with a Role of this test's own; waits until the
 * API server's authorizer knows it.
 */
export async function grantSecrets(admin: KubeClient, names: string[]): Promise<void> {
  const name = `${SECRETS_ROLE}-test-${randomBytes(4).toString('hex')}`;
  await admin.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace: SYSTEM_NS },
    rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: names, verbs: ['get'] }],
  } as KubeObject);
  await admin.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace: SYSTEM_NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: 'sluice-commit-status', namespace: SYSTEM_NS }],
  } as KubeObject);
  for (const secret of names) {
    await eventually(
      () => serviceAccountMay(admin, { namespace: SYSTEM_NS, name: 'sluice-commit-status' }, { verb: 'get', resource: 'secrets', namespace: SYSTEM_NS, name: secret }),
      `get on Secret ${secret} granted`,
    );
  }
}

/**
 * The store and runtime as the service runs them, under the service account's token, watching
 * only the resources labelled `sluice.dev/test-run=<run>`; fast write pacing and backoff.
 */
export async function startTestRuntime(
  admin: KubeClient,
  opts: { run: string; providers: ProviderSettings; secretName: string; log: Logger },
): Promise<{ store: KubeCommitStatusStore; runtime: CommitStatusRuntime }> {
  const store = new KubeCommitStatusStore({
    client: await serviceAccountClient(admin),
    providers: opts.providers,
    namespace: SYSTEM_NS,
    watchNamespace: SYSTEM_NS,
    labelSelector: `sluice.dev/test-run=${opts.run}`,
    githubSecretName: opts.secretName,
    logger: opts.log,
  });
  const runtime = new CommitStatusRuntime(store, new Reconciler(store, new DefaultScmStatusProviders(new ScmClients({ minWriteIntervalMs: 20 })), null, opts.log), opts.log, { baseDelayMs: 100 });
  await runtime.start();
  return { store, runtime };
}

/** Deletes what a test created in SYSTEM_NS (Secrets and Sluice resources), newest first. */
export async function deleteCreated(admin: KubeClient, created: Array<{ kind: string; name: string }>): Promise<void> {
  for (const c of [...created].reverse()) {
    await admin.delete({ apiVersion: c.kind === 'Secret' ? 'v1' : API_VERSION, kind: c.kind, namespace: SYSTEM_NS, name: c.name });
  }
}
