import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyObject } from '../apply';
import { KubeClient } from '../client';
import { withBearerToken } from '../kube-config';
import type { KubeObject } from '../types';
import { randomSuffix, serviceAccountToken } from './env';

/*
 * A private copy of deploy/rbac on the shared test cluster: the same rules, with the
 * cluster-scoped names suffixed and `sluice-system` replaced by a namespace of its own. Tests
 * then prove the rules of this checkout, whatever RBAC the cluster was started with and
 * whatever other test runs apply meanwhile, and change nothing another run relies on.
 */

const RBAC_DIR = join(__dirname, '../../../../deploy/rbac');
const SYSTEM_NS = 'sluice-system';
const RBAC_API = 'rbac.authorization.k8s.io/v1';

export type SluiceServiceAccount = 'sluice-kube-applier' | 'sluice-commit-status';

export interface AccessCheck {
  verb: string;
  group?: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface RbacCopy {
  /** The copy's stand-in for `sluice-system`: its ServiceAccounts and Roles live here. */
  systemNamespace: string;
  /** The copy's name of a cluster-scoped object of deploy/rbac (e.g. `sluice-kube-applier-deployer`). */
  clusterName(original: string): string;
  /** A TokenRequest token of the copy's ServiceAccount. */
  token(serviceAccount: SluiceServiceAccount): Promise<string>;
  /** A client with such a token. */
  client(serviceAccount: SluiceServiceAccount): Promise<KubeClient>;
  /** The RoleBinding the operator creates per namespace: `clusterRole` for `serviceAccount` in `namespace`; waits until it takes effect. */
  bind(namespace: string, clusterRole: string, serviceAccount: SluiceServiceAccount, probe: AccessCheck): Promise<void>;
  /** What a SubjectAccessReview answers for the copy's ServiceAccount. */
  allowed(serviceAccount: SluiceServiceAccount, check: AccessCheck): Promise<boolean>;
  /** Deletes the copy's cluster-scoped objects (the namespace stays: the test cluster runs no namespace controller). */
  remove(): Promise<void>;
}

/** What a SubjectAccessReview answers for a ServiceAccount (the API server's own authorizer, nothing changed). */
export async function serviceAccountMay(admin: KubeClient, sa: { namespace: string; name: string }, check: AccessCheck): Promise<boolean> {
  const res = await admin.request<{ status: { allowed?: boolean } }>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${sa.namespace}:${sa.name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
        resourceAttributes: { group: check.group ?? '', ...check },
      },
    },
  });
  return res.status.allowed === true;
}

/** The deploy/rbac documents, as the files hold them. */
export function rbacDocuments(): KubeObject[] {
  return readdirSync(RBAC_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(RBAC_DIR, f), 'utf8')).map((d) => d.toJS() as KubeObject | null))
    .filter((o): o is KubeObject => o !== null);
}

/** Applies a private copy of deploy/rbac and waits until the API server's authorizer knows it. */
export async function installRbacCopy(admin: KubeClient): Promise<RbacCopy> {
  const suffix = randomSuffix();
  const systemNamespace = `sluice-system-${suffix}`;
  const clusterName = (name: string) => `${name}-${suffix}`;
  const ns = (n: unknown) => (n === SYSTEM_NS ? systemNamespace : n);
  const clusterScoped: KubeObject[] = [];

  for (const doc of rbacDocuments()) {
    const obj = structuredClone(doc) as KubeObject & { roleRef?: { kind: string; name: string }; subjects?: Array<{ namespace?: string }> };
    if (obj.kind === 'Namespace') obj.metadata.name = ns(obj.metadata.name) as string;
    else if (obj.metadata.namespace) obj.metadata.namespace = ns(obj.metadata.namespace) as string;
    if (obj.kind === 'ClusterRole' || obj.kind === 'ClusterRoleBinding') {
      obj.metadata.name = clusterName(obj.metadata.name!);
      clusterScoped.push(obj);
    }
    if (obj.roleRef?.kind === 'ClusterRole') obj.roleRef.name = clusterName(obj.roleRef.name);
    for (const s of obj.subjects ?? []) s.namespace = ns(s.namespace) as string;
    await applyObject(admin, obj, { fieldManager: 'sluice-tests', force: true });
  }

  const allowed = (sa: SluiceServiceAccount, check: AccessCheck) => serviceAccountMay(admin, { namespace: systemNamespace, name: sa }, check);
  // The authorizer learns of new roles and bindings through an informer, a moment later.
  const untilAllowed = async (sa: SluiceServiceAccount, check: AccessCheck) => {
    const deadline = Date.now() + 15_000;
    while (!(await allowed(sa, check))) {
      if (Date.now() > deadline) throw new Error(`${sa} never got ${JSON.stringify(check)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await untilAllowed('sluice-kube-applier', { verb: 'list', group: 'sluice.dev', resource: 'deployconfigs' });
  await untilAllowed('sluice-commit-status', { verb: 'list', group: 'sluice.dev', resource: 'commitstatuses' });
  await untilAllowed('sluice-commit-status', { verb: 'get', resource: 'secrets', namespace: systemNamespace, name: 'sluice-github' });

  return {
    systemNamespace,
    clusterName,
    allowed,
    token: (sa) => serviceAccountToken(admin, systemNamespace, sa),
    client: async (sa) => new KubeClient(withBearerToken(admin.config, await serviceAccountToken(admin, systemNamespace, sa))),
    bind: async (namespace, clusterRole, sa, probe) => {
      const binding: KubeObject = {
        apiVersion: RBAC_API,
        kind: 'RoleBinding',
        metadata: { name: clusterRole, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName(clusterRole) },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: systemNamespace }],
      } as KubeObject;
      await applyObject(admin, binding, { fieldManager: 'sluice-tests', force: true });
      await untilAllowed(sa, { ...probe, namespace });
    },
    remove: async () => {
      for (const obj of clusterScoped) await admin.delete({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name! });
    },
  };
}
