// Server-side applies Kubernetes manifests (multi-document YAML files) for the test
// infrastructure, as field manager "sluice-infra". kubectl is not available here, and the
// handful of kinds in deploy/crds and deploy/rbac do not need discovery.
//
//   KUBE_SERVER=https://127.0.0.1:56443 KUBE_CA=ca.crt KUBE_TOKEN=... \
//     node infra/kube-apply.mjs [--wait-established] file.yaml...
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parseAllDocuments } from 'yaml';

const KINDS = {
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
};

const server = process.env.KUBE_SERVER;
const token = process.env.KUBE_TOKEN;
const ca = process.env.KUBE_CA && readFileSync(process.env.KUBE_CA);
if (!server || !token || !ca) throw new Error('KUBE_SERVER, KUBE_TOKEN and KUBE_CA are required');

function call(method, path, body, contentType) {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server),
      {
        method,
        ca,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(body ? { 'Content-Type': contentType } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode, body: data ? JSON.parse(data) : undefined }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}

function pathOf(obj) {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const kind = KINDS[key];
  if (!kind) throw new Error(`kube-apply.mjs does not know ${key}; add it to KINDS`);
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = kind.namespaced ? `/namespaces/${obj.metadata.namespace}` : '';
  return `${base}${ns}/${kind.plural}/${obj.metadata.name}`;
}

const args = process.argv.slice(2);
const waitEstablished = args.includes('--wait-established');
const crds = [];
for (const file of args.filter((a) => !a.startsWith('--'))) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (!obj) continue;
    const path = pathOf(obj);
    const res = await call('PATCH', `${path}?fieldManager=sluice-infra&force=true`, JSON.stringify(obj), 'application/apply-patch+yaml');
    if (res.status !== 200 && res.status !== 201) {
      throw new Error(`apply ${obj.kind} ${obj.metadata.name} (${file}): HTTP ${res.status} ${res.body?.message ?? ''}`);
    }
    if (obj.kind === 'CustomResourceDefinition') crds.push(path);
  }
}

if (waitEstablished) {
  const deadline = Date.now() + 60_000;
  for (const path of crds) {
    for (;;) {
      const res = await call('GET', path);
      const established = res.body?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      if (established) break;
      if (Date.now() > deadline) throw new Error(`${path} not Established after 60s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
