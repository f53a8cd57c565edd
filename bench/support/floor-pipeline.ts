// The e2e floor (issue #24): one bare process that does, per build webhook, the least any
// design must do to deploy it — verify the HMAC, commit one row to PostgreSQL, answer 202, then
// server-side-apply the same objects kube-applier applies (the DeployConfig with the new
// artifact, the config's Deployment with the new image) and make the same status write
// (DeployConfig status: phase Applied at the generation just written, with its inventory).
// No bus, no event log, no GitHub reads: the config's specs are read once at start from the
// DeployConfigs Sluice applied in FLOOR_SOURCE_NAMESPACE (repository acme/<name> → config <name>).
//
// Run by bench/e2e.ts as a child process (fork, @swc-node/register); tells its parent
// `{ port }` once listening. Env: FLOOR_SECRET, FLOOR_DATABASE_URL, KUBECONFIG,
// FLOOR_SOURCE_NAMESPACE, FLOOR_NAMESPACE.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { applyObject, KubeClient, loadKubeConfig, patchStatus, type KubeObject } from '@sluice/kube';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const SECRET = env('FLOOR_SECRET');
const NAMESPACE = env('FLOOR_NAMESPACE');
const DC = { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig' };
const FIELD_MANAGER = 'sluice';

interface Template {
  team: string;
  configSha: string | null;
  imageTag: string | null;
  specs: KubeObject[];
  labels: Record<string, string>;
}

async function main(): Promise<void> {
  const kube = new KubeClient(loadKubeConfig({ from: 'file', path: env('KUBECONFIG') }), { userAgent: 'bench-floor' });
  // A pool of the services' size (openServiceDataSource's default).
  const pool = new Pool({ connectionString: env('FLOOR_DATABASE_URL'), max: 10 });
  await pool.query(`CREATE TABLE IF NOT EXISTS floor_builds (
    delivery_id text PRIMARY KEY, repo text NOT NULL, sha text NOT NULL, payload bytea NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`);
  const templates = new Map<string, Template>();
  const source = await kube.list<KubeObject & { spec: Template }>({ ...DC, namespace: env('FLOOR_SOURCE_NAMESPACE') });
  for (const dc of source.items) {
    const { team, configSha, imageTag, specs } = dc.spec;
    templates.set(dc.metadata.name!, { team, configSha, imageTag, specs, labels: dc.metadata.labels ?? {} });
  }

  async function deploy(config: string, sha: string): Promise<void> {
    const t = templates.get(config);
    if (!t) return;
    const deployId = randomUUID();
    const imageTag = `main-${sha.slice(0, 7)}`;
    const specs = t.imageTag ? (JSON.parse(JSON.stringify(t.specs).replaceAll(t.imageTag, imageTag)) as KubeObject[]) : t.specs;
    const dc = await applyObject(
      kube,
      {
        ...DC,
        metadata: { name: config, namespace: NAMESPACE, labels: t.labels, annotations: { 'sluice.dev/deploy-id': deployId } },
        spec: { team: t.team, artifactSha: sha, configSha: t.configSha, imageTag, specs },
      },
      { fieldManager: FIELD_MANAGER, force: true },
    );
    const owner = { ...DC, name: config, uid: dc.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const inventory = [];
    for (const spec of specs) {
      const obj = { ...spec, metadata: { ...spec.metadata, namespace: NAMESPACE, labels: { ...spec.metadata.labels, 'sluice.dev/config': config }, ownerReferences: [owner] } };
      await applyObject(kube, obj, { fieldManager: FIELD_MANAGER, force: true });
      inventory.push({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: NAMESPACE, name: obj.metadata.name! });
    }
    const now = new Date().toISOString();
    const generation = dc.metadata.generation ?? 1;
    await patchStatus(
      kube,
      { ...DC, namespace: NAMESPACE, name: config },
      {
        phase: 'Applied',
        observedGeneration: generation,
        deployId,
        progressStartedAt: now,
        lastAppliedAt: now,
        dryRun: false,
        inventory,
        conditions: [{ type: 'Ready', status: 'Unknown', observedGeneration: generation, lastTransitionTime: now, reason: 'Progressing', message: 'applied; waiting for the rollout' }],
      },
      { fieldManager: FIELD_MANAGER },
    );
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
      const answer = (status: number) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 202 ? '{"result":"accepted"}' : '{"error":"rejected"}');
      };
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return answer(401);
      const payload = JSON.parse(raw.toString('utf8')) as { repository?: { full_name?: string }; workflow_run?: { head_sha?: string; conclusion?: string } };
      const repo = payload.repository?.full_name ?? '';
      const sha = payload.workflow_run?.head_sha;
      if (req.headers['x-github-event'] !== 'workflow_run' || payload.workflow_run?.conclusion !== 'success' || !sha) return answer(202);
      pool
        .query({
          name: 'floor-build',
          text: 'INSERT INTO floor_builds (delivery_id, repo, sha, payload) VALUES ($1, $2, $3, $4) ON CONFLICT (delivery_id) DO NOTHING',
          values: [String(req.headers['x-github-delivery']), repo, sha, raw],
        })
        .then(
          () => {
            answer(202);
            deploy(repo.split('/')[1] ?? '', sha).catch((error: Error) => process.stderr.write(`floor: deploy of ${repo}@${sha}: ${error.message}\n`));
          },
          () => answer(503),
        );
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => {
    server.close();
    void pool.end().finally(() => process.exit(0));
  });
}

main().catch((error: Error) => {
  process.stderr.write(`floor: ${error.stack}\n`);
  process.exit(1);
});
