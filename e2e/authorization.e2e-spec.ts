// Issue 15, "An authorization test over every route": every operation of the OpenAPI
// document each mode serves (the all-in-one's merged one; each distributed service's own) ×
// {no token, a well-formed token never issued, garbage, a revoked token, another team's
// valid token}, on the real stacks (PostgreSQL, the real kube-apiserver, Kafka when
// distributed) with real objects of the other team in the path. The table below says what
// each operation owes a team that is not the owner; an operation of a document that is not
// in the table (a new route) fails the test, and so does a table entry no document has.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import { createTestNamespace } from '@sluice/kube/testing';
import { SERVICES, startAllInOneApp, startDistributed, type AllInOneApp, type Distributed } from './support/sluice';
import { deploymentYaml, startWorld, type World } from './support/world';

/**
 * Public by design: answered without a token. The webhook is guarded by its HMAC signature instead,
 * Slack's requests by Slack's signature (e2e/chat-ops: 401 without it).
 */
const PUBLIC = new Set(['POST /webhooks/{provider}', 'POST /chat/slack/commands', 'POST /chat/slack/interactions', 'GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /api/docs', 'GET /api/docs-json', 'GET /api/auth/oidc']);

/**
 * What another team's valid token gets:
 * - `admin`: 403 (admin-only);
 * - `owned`: 403 or 404 — the path names an object of the other team (404 where its existence is
 *   not revealed: the catalogue and commit statuses);
 * - `list`: 200 with nothing of the other team in it.
 */
type Access = 'admin' | 'owned' | 'list';

interface Rule {
  readonly access: Access;
  /** Path parameters, query and JSON body from the other team's objects. */
  readonly request?: (f: Fixture) => { params?: Record<string, string>; query?: string; body?: unknown };
  /** Queries of the same operation that name the other team's objects: 403/404 for a team, like `owned`. */
  readonly foreignQueries?: (f: Fixture) => string[];
}

const ROUTES: Record<string, Rule> = {
  // repo-sync
  'GET /api/repos': { access: 'list' },
  'GET /api/repos/{owner}/{name}': { access: 'owned', request: () => ({ params: { owner: 'acme', name: 'tenantb-config' } }) },
  'GET /api/repos/{owner}/{name}/branches': { access: 'owned', request: () => ({ params: { owner: 'acme', name: 'tenantb-app' } }) },
  'GET /api/repos/{owner}/{name}/commits/{sha}': { access: 'owned', request: (f) => ({ params: { owner: 'acme', name: 'tenantb-app', sha: f.artifactSha } }) },
  'GET /api/repos/{owner}/{name}/configs': { access: 'owned', request: () => ({ params: { owner: 'acme', name: 'tenantb-config' } }) },
  // The same by the whole path as one encoded segment (GitLab subgroup projects).
  'GET /api/repos/{path}': { access: 'owned', request: () => ({ params: { path: 'acme/tenantb-config' } }) },
  'GET /api/repos/{path}/branches': { access: 'owned', request: () => ({ params: { path: 'acme/tenantb-app' } }) },
  'GET /api/repos/{path}/commits/{sha}': { access: 'owned', request: (f) => ({ params: { path: 'acme/tenantb-app', sha: f.artifactSha } }) },
  'GET /api/repos/{path}/configs': { access: 'owned', request: () => ({ params: { path: 'acme/tenantb-config' } }) },
  'POST /api/admin/sync': { access: 'admin' },
  'GET /api/admin/sync/{syncId}': { access: 'admin', request: (f) => ({ params: { syncId: f.syncId } }) },
  'POST /api/admin/replay/repo-sync': { access: 'admin' },
  'GET /api/admin/replay/repo-sync/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'POST /api/admin/replay/repo-sync/team-tokens': { access: 'admin' },
  'GET /api/admin/replay/repo-sync/team-tokens/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'POST /api/admin/replay/repo-sync/team-policies': { access: 'admin' },
  'GET /api/admin/replay/repo-sync/team-policies/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  // commit-status
  'POST /api/admin/replay/commit-status': { access: 'admin' },
  'GET /api/admin/replay/commit-status/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'POST /api/admin/replay/commit-status/team-tokens': { access: 'admin' },
  'GET /api/admin/replay/commit-status/team-tokens/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'GET /api/commit-statuses': {
    access: 'owned',
    request: (f) => ({ query: `repo=acme/tenantb-app&sha=${f.artifactSha}` }),
    foreignQueries: () => ['repo=acme/tenantb-config', 'repo=acme/tenantb-app'],
  },
  // autodeploy
  'GET /api/configs': { access: 'list', foreignQueries: () => [`team=${FOREIGN_TEAM}`] },
  'GET /api/configs/{name}': { access: 'owned', request: () => ({ params: { name: FOREIGN_CONFIG } }) },
  'GET /api/configs/{name}/deploys': { access: 'owned', request: () => ({ params: { name: FOREIGN_CONFIG } }) },
  'GET /api/configs/{name}/history': { access: 'owned', request: () => ({ params: { name: FOREIGN_CONFIG } }) },
  'GET /api/configs/{name}/builds': { access: 'owned', request: () => ({ params: { name: FOREIGN_CONFIG } }) },
  'POST /api/configs/{name}/undeploy': { access: 'owned', request: () => ({ params: { name: FOREIGN_CONFIG }, body: { reason: 'authz walk' } }) },
  'POST /api/configs/{name}/pin': { access: 'owned', request: () => ({ params: { name: FOREIGN_CONFIG }, body: { reason: 'authz walk' } }) },
  'POST /api/configs/{name}/unpin': { access: 'owned', request: () => ({ params: { name: FOREIGN_CONFIG }, body: { reason: 'authz walk' } }) },
  'POST /api/deploys': { access: 'owned', request: (f) => ({ body: { config: FOREIGN_CONFIG, artifactSha: f.artifactSha, configSha: f.configSha, reason: 'authz walk' } }) },
  'GET /api/deploys/{id}': { access: 'owned', request: (f) => ({ params: { id: f.deployId } }) },
  'GET /api/deploys/{id}/logs': { access: 'owned', request: (f) => ({ params: { id: f.deployId }, query: 'follow=false' }) },
  'POST /api/deploys/{id}/reapply': { access: 'owned', request: (f) => ({ params: { id: f.deployId }, body: { reason: 'authz walk' } }) },
  'POST /api/deploys/{id}/abandon': { access: 'owned', request: (f) => ({ params: { id: f.deployId }, body: { reason: 'authz walk' } }) },
  'GET /api/events': { access: 'admin' },
  'GET /api/test-runs': { access: 'list' },
  'GET /api/metrics/dora': { access: 'list', foreignQueries: () => [`team=${FOREIGN_TEAM}`] },
  'POST /api/admin/replay': { access: 'admin' },
  'GET /api/admin/replay/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'POST /api/admin/replay/autodeploy/team-policies': { access: 'admin' },
  'GET /api/admin/replay/autodeploy/team-policies/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'POST /api/admin/replay/autodeploy/repo-knowledge': { access: 'admin' },
  'GET /api/admin/replay/autodeploy/repo-knowledge/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'POST /api/admin/replay/autodeploy/preview-facts': { access: 'admin' },
  'GET /api/admin/replay/autodeploy/preview-facts/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'POST /api/admin/tokens': { access: 'admin', request: () => ({ body: { team: OWN_TEAM } }) },
  'GET /api/admin/tokens': { access: 'admin' },
  'DELETE /api/admin/tokens/{id}': { access: 'admin', request: (f) => ({ params: { id: f.foreignTokenId } }) },
  'GET /api/admin/teams': { access: 'admin' },
  'POST /api/admin/dead-letters/{topic}/redrive': { access: 'admin', request: () => ({ params: { topic: 'sluice.deploy.v1' } }) },
  'GET /api/admin/teams/{team}/policy': { access: 'admin', request: () => ({ params: { team: OWN_TEAM } }) },
  'PUT /api/admin/teams/{team}/policy': { access: 'admin', request: () => ({ params: { team: OWN_TEAM }, body: { repositories: ['*'], namespaces: ['kube-system'] } }) },
  'DELETE /api/admin/teams/{team}/policy': { access: 'admin', request: () => ({ params: { team: OWN_TEAM } }) },
  // kube-applier
  'GET /api/deploys/{id}/manifests': { access: 'owned', request: (f) => ({ params: { id: f.deployId } }) },
  'GET /api/configs/{name}/manifests': { access: 'owned', request: () => ({ params: { name: FOREIGN_CONFIG } }) },
  'POST /api/admin/replay/kube-applier': { access: 'admin' },
  'GET /api/admin/replay/kube-applier/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'POST /api/admin/replay/kube-applier/team-tokens': { access: 'admin' },
  'GET /api/admin/replay/kube-applier/team-tokens/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
  'POST /api/admin/replay/kube-applier/team-policies': { access: 'admin' },
  'GET /api/admin/replay/kube-applier/team-policies/{id}': { access: 'admin', request: () => ({ params: { id: '0190a0a0-0000-7000-8000-000000000001' } }) },
};

const OWN_TEAM = 'tenanta';
const FOREIGN_TEAM = 'tenantb';
const FOREIGN_CONFIG = 'tenantb-svc';
/** Nothing a tenanta token reads may contain these (tenantb's names, and the world's payments config). */
const FOREIGN_MARKS = ['tenantb', 'billing', 'payments', 'deploy-configs'];

/** The other team's objects, and the tokens the walk sends. */
interface Fixture {
  readonly artifactSha: string;
  readonly configSha: string;
  readonly deployId: string;
  readonly syncId: string;
  readonly foreignTokenId: string;
  readonly own: string;
  readonly revoked: string;
}

interface Target {
  readonly admin: string;
  /** The base URL serving `path`. */
  urlFor(path: string): string;
}

type Answer = { status: number; text: string; json: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

let nextAddress = 0;

/**
 * `token` is sent as `Bearer <token>`; `authorization` replaces the whole header. Each request
 * comes from another loopback address (127.0.0.2-254): the walk sends hundreds of bad tokens,
 * and failed authentication is rate limited per address (429 after 60 a minute), a limit
 * proven on its own elsewhere (libs/autodeploy failed-auth.int-spec).
 */
function call(url: string, token: string | null, init: { method?: string; body?: unknown; authorization?: string } = {}): Promise<Answer> {
  const authorization = init.authorization ?? (token === null ? undefined : `Bearer ${token}`);
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  const localAddress = `127.0.0.${2 + (nextAddress++ % 253)}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          // not JSON (metrics); kept as text
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Two teams' config repositories and artifact repositories on the world's fake GitHub; each
 * team's config deploys into a namespace of its own name, which its default policy allows.
 */
async function seedTenants(world: World): Promise<{ artifactSha: string; configSha: string }> {
  const shas = { artifactSha: '', configSha: '' };
  for (const team of [OWN_TEAM, FOREIGN_TEAM]) {
    const namespace = await createTestNamespace(world.kube, team);
    world.github.seed.repo({ owner: 'acme', name: `${team}-config`, defaultBranch: 'main' });
    const configSha = world.github.seed.commit(`acme/${team}-config`, {
      message: `${team}-svc`,
      files: {
        [`deploy/${team}-svc/deploy.yaml`]: [`team: ${team}`, `namespace: ${namespace}`, 'artifact:', `  repo: acme/${team}-app`, `  image: ghcr.io/acme/${team}-app`, 'track:', '  branch: main'].join('\n'),
        [`deploy/${team}-svc/deployment.yaml`]: deploymentYaml(`${team}-svc`, `ghcr.io/acme/${team}-app`),
      },
    });
    world.github.seed.repo({ owner: 'acme', name: `${team}-app`, defaultBranch: 'main' });
    const artifactSha = world.github.seed.commit(`acme/${team}-app`, { message: 'initial', files: { 'README.md': `# ${team}\n` } });
    if (team === FOREIGN_TEAM) Object.assign(shas, { artifactSha, configSha });
  }
  return shas;
}

/** Through the API as the admin: a global sync, a deploy of the other team's config, three team tokens (one revoked). */
async function prepare(world: World, target: Target): Promise<Fixture> {
  const { artifactSha, configSha } = await seedTenants(world);
  const admin = (path: string, init?: { method?: string; body?: unknown }) => call(`${target.urlFor(path)}${path}`, target.admin, init);

  const sync = await admin('/api/admin/sync', { method: 'POST' });
  assert.equal(sync.status, 202, sync.text);
  const syncId = sync.json.syncId as string;
  await waitUntil(async () => (await admin(`/api/admin/sync/${syncId}`)).json?.state === 'completed', { timeoutMs: 120_000, message: 'global sync completed' });
  await waitUntil(async () => (await admin(`/api/configs/${FOREIGN_CONFIG}`)).status === 200, { timeoutMs: 120_000, message: 'autodeploy knows the config' });

  const deploy = await admin('/api/deploys', { method: 'POST', body: { config: FOREIGN_CONFIG, artifactSha, configSha, reason: 'authz walk fixture' } });
  assert.equal(deploy.status, 202, deploy.text);
  const deployId = deploy.json.deployId as string;
  await waitUntil(async () => (await admin(`/api/deploys/${deployId}/manifests`)).status === 200, { timeoutMs: 120_000, message: 'kube-applier recorded the deploy' });
  await waitUntil(async () => (await admin(`/api/commit-statuses?repo=acme/${FOREIGN_TEAM}-app`)).json?.items?.length > 0, { timeoutMs: 120_000, message: 'commit-status recorded its status' });

  const issue = async (team: string) => {
    const res = await admin('/api/admin/tokens', { method: 'POST', body: { team } });
    assert.equal(res.status, 201, res.text);
    return res.json as { id: string; token: string };
  };
  const own = await issue(OWN_TEAM);
  const foreign = await issue(FOREIGN_TEAM);
  const revoked = await issue(OWN_TEAM);
  // Every service knows both of tenanta's tokens before one is revoked (then 401 means revoked, not unknown yet).
  const probes = [`/api/repos`, `/api/commit-statuses?repo=acme/${OWN_TEAM}-app`, `/api/deploys/${deployId}/manifests`, '/api/configs'];
  for (const token of [own.token, revoked.token]) {
    for (const path of probes) {
      await waitUntil(async () => (await call(`${target.urlFor(path)}${path}`, token)).status !== 401, { timeoutMs: 60_000, message: `token accepted at ${path}` });
    }
  }
  assert.equal((await admin(`/api/admin/tokens/${revoked.id}`, { method: 'DELETE' })).status, 204);
  for (const path of probes) {
    await waitUntil(async () => (await call(`${target.urlFor(path)}${path}`, revoked.token)).status === 401, { timeoutMs: 60_000, message: `revoked token refused at ${path}` });
  }
  return { artifactSha, configSha, deployId, syncId, foreignTokenId: foreign.id, own: own.token, revoked: revoked.token };
}

interface Operation {
  readonly key: string;
  readonly method: string;
  readonly path: string;
}

/** The operations of an OpenAPI document, `METHOD /path` as in the table. */
async function operationsOf(base: string): Promise<Operation[]> {
  const res = await fetch(`${base}/api/docs-json`);
  assert.equal(res.status, 200, `${base}/api/docs-json`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
  const methods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => methods.has(m))
      .map((m) => ({ key: `${m.toUpperCase()} ${path}`, method: m.toUpperCase(), path })),
  );
}

/** The operations that neither the table nor the public list names, and table entries no document has. */
function coverage(operations: readonly Operation[]): { unlisted: string[]; stale: string[] } {
  const keys = new Set(operations.map((o) => o.key));
  return {
    unlisted: [...keys].filter((k) => !PUBLIC.has(k) && !(k in ROUTES)).sort(),
    stale: Object.keys(ROUTES).filter((k) => !keys.has(k)).sort(),
  };
}

/** Walks every guarded operation with every credential; returns what went wrong, one line each. */
async function walk(base: string, operations: readonly Operation[], f: Fixture): Promise<string[]> {
  const problems: string[] = [];
  // [label, Authorization header (null: none), what it is]
  const credentials: Array<[string, string | null, 'unauthenticated' | 'foreign']> = [
    ['no token', null, 'unauthenticated'],
    ['a well-formed token never issued', `Bearer sl_0123456789abcdef_${'A'.repeat(43)}`, 'unauthenticated'],
    ["a valid token's id with a wrong secret", `Bearer ${f.own.slice(0, -4)}AAAA`, 'unauthenticated'],
    ['garbage', 'Bearer not-a-token-at-all', 'unauthenticated'],
    ['an empty bearer', 'Bearer ', 'unauthenticated'],
    ['a valid token under another scheme', `Basic ${f.own}`, 'unauthenticated'],
    ['a revoked token', `Bearer ${f.revoked}`, 'unauthenticated'],
    [`a valid token of team ${OWN_TEAM}`, `Bearer ${f.own}`, 'foreign'],
  ];
  for (const op of operations) {
    if (PUBLIC.has(op.key)) continue;
    const rule = ROUTES[op.key];
    if (!rule) {
      problems.push(`not in the table (say what another team may do there): ${op.key}`);
      continue;
    }
    const request = rule.request?.(f) ?? {};
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = request.params?.[name];
      if (value === undefined) throw new Error(`${op.key}: the table gives no value for path parameter ${name}`);
      return encodeURIComponent(value);
    });
    const requests: Array<{ query: string | undefined; access: Access }> = [
      { query: request.query, access: rule.access },
      ...(rule.foreignQueries?.(f) ?? []).map((query) => ({ query, access: 'owned' as const })),
    ];
    for (const { query, access } of requests) {
      const url = `${base}${path}${query ? `?${query}` : ''}`;
      const key = `${op.key}${query ? `?${query}` : ''}`;
      for (const [label, authorization, kind] of credentials) {
        const answer = await call(url, null, { method: op.method, body: request.body, authorization: authorization ?? undefined });
        const problem = judge(access, kind, answer);
        if (problem) problems.push(`${problem}: ${key} with ${label}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
  }
  return problems;
}

/** What is wrong with `answer` to a request with that kind of credential, or null. */
function judge(access: Access, kind: 'unauthenticated' | 'foreign', answer: Answer): string | null {
  if (answer.status >= 500) return '5xx';
  if (kind === 'unauthenticated') return answer.status === 401 ? null : 'expected 401';
  if (access === 'admin') return answer.status === 403 ? null : 'expected 403 (admin only)';
  if (access === 'owned') return answer.status === 403 || answer.status === 404 ? null : "expected 403/404 (another team's object)";
  if (answer.status !== 200) return 'expected 200 (a list)';
  const leaked = FOREIGN_MARKS.filter((mark) => answer.text.includes(mark));
  return leaked.length > 0 ? `another team's objects (${leaked.join(', ')}) in the list` : null;
}

/** The webhook is public but signature-guarded: unsigned, it is refused (never accepted, never a 5xx). */
async function unsignedWebhookRefused(url: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': '0190a0a0-0000-7000-8000-000000000001' },
    body: '{}',
  });
  assert.ok(res.status === 400 || res.status === 401, `unsigned webhook answered ${res.status}`);
}

describe('authorization over every route, all-in-one on PostgreSQL', { timeout: 600_000 }, () => {
  let world: World;
  let db: TestDatabase;
  let sluice: AllInOneApp;
  let fixture: Fixture;

  before(async () => {
    world = await startWorld('authz-all-in-one');
    db = await createTestDatabase('e2e_authz_all_in_one');
    sluice = await startAllInOneApp(world, { DATABASE_URL: db.url });
    fixture = await prepare(world, { admin: sluice.adminToken, urlFor: sluice.urlFor });
  });

  after(async () => {
    await sluice?.stop();
    await db?.drop();
    await world?.stop();
  });

  it('the merged document has no operation that is neither in the table nor public, and the table none the document lacks', async () => {
    assert.deepEqual(coverage(await operationsOf(sluice.process.url)), { unlisted: [], stale: [] });
  });

  it('answers 401 without a valid token, 403/404 for another team, lists without the other team, and never a 5xx', async () => {
    const problems = await walk(sluice.process.url, await operationsOf(sluice.process.url), fixture);
    assert.deepEqual(problems, []);
    await unsignedWebhookRefused(sluice.webhookUrl);
  });
});

describe('authorization over every route, each distributed service on its own document', { timeout: 600_000 }, () => {
  let world: World;
  let sluice: Distributed;
  let fixture: Fixture;

  before(async () => {
    world = await startWorld('authz-distributed');
    sluice = await startDistributed(world);
    fixture = await prepare(world, { admin: sluice.adminToken, urlFor: sluice.urlFor });
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('every service: 401 without a valid token, 403/404 for another team, lists without the other team, never a 5xx; together they cover the table', async () => {
    const all: Operation[] = [];
    const problems: string[] = [];
    for (const name of SERVICES) {
      const base = sluice.services[name].url;
      const operations = await operationsOf(base);
      all.push(...operations);
      problems.push(...(await walk(base, operations, fixture)).map((p) => `${name}: ${p}`));
    }
    assert.deepEqual(coverage(all), { unlisted: [], stale: [] });
    assert.deepEqual(problems, []);
    await unsignedWebhookRefused(sluice.webhookUrl);
  });
});
