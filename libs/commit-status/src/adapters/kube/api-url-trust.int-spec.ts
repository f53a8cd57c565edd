import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGitHub } from '@sluice/fake-scm';
import { KubeClient, loadKubeConfig } from '@sluice/kube';
import type { CommitStatusRuntime } from '../../application/commit-status-runtime';
import { API_VERSION, type CommitStatusObject } from './kube-store';
import { capturingLogger, settings, SHA1 } from '../../testing/harness';
import { applyDeployManifests, deleteCreated, eventually, grantSecrets, requireKubeconfig, startTestRuntime, SYSTEM_NS } from '../../testing/kube';

/*
 * A GitRepo names its own apiUrl; whoever may write one must not be able to collect the
 * token from its Secret, or get a foreign server's answer copied into status. On the real
 * kube-apiserver, under the service account's token, with a recording server standing in
 * for the attacker's host: it counts TCP connections, so "nothing was sent" covers https
 * attempts (a TLS hello) as well as plain requests.
 */

const TOKEN = 'ghp_trust_test_token';
const MARKER = 'FOREIGN-PAGE-MARKER';

interface Recorder {
  url: string;
  connections: number;
  requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  server: Server;
}

async function recordingServer(answer: (res: ServerResponse) => void): Promise<Recorder> {
  const rec: Recorder = { url: '', connections: 0, requests: [], server: createServer() };
  rec.server.on('connection', () => rec.connections++);
  rec.server.on('request', (req, res) => {
    rec.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    answer(res);
  });
  await new Promise<void>((resolve) => rec.server.listen(0, '127.0.0.1', resolve));
  rec.url = `http://127.0.0.1:${(rec.server.address() as AddressInfo).port}`;
  return rec;
}

describe('GitRepo apiUrl trust on a real kube-apiserver: a token goes only to configured API origins', () => {
  const run = randomBytes(4).toString('hex');
  const label = { 'sluice.dev/test-run': run };
  const secretName = `cs-trust-${run}`;
  let admin: KubeClient;
  let gh: FakeGitHub;
  /** The attacker's host: answers like an API, with a page that must never reach status. */
  let foreign: Recorder;
  /** The configured GitLab base, which redirects every request to the foreign host. */
  let redirector: Recorder;
  let runtime: CommitStatusRuntime;
  let logLines: Array<Record<string, unknown>>;
  const created: Array<{ kind: string; name: string }> = [];

  before(async () => {
    admin = new KubeClient(loadKubeConfig({ from: 'file', path: requireKubeconfig() }));
    await applyDeployManifests(admin);
    gh = new FakeGitHub({ tokens: [TOKEN] });
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'leaky' });
    gh.seed.commit('acme/leaky', { message: 'one', files: { 'a.txt': '1' }, sha: SHA1 });
    foreign = await recordingServer((res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end(`<html>${MARKER}</html>`);
    });
    redirector = await recordingServer((res) => {
      res.writeHead(307, { location: `${foreign.url}/collect` });
      res.end();
    });

    await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: SYSTEM_NS, labels: label }, stringData: { token: TOKEN } });
    created.push({ kind: 'Secret', name: secretName });
    await grantSecrets(admin, [secretName]);

    const { log, lines } = capturingLogger();
    logLines = lines;
    ({ runtime } = await startTestRuntime(admin, { run, providers: settings({ githubUrl: gh.url, gitlabUrl: `${redirector.url}/api/v4` }), secretName, log }));
  });

  after(async () => {
    await runtime?.stop();
    await deleteCreated(admin, created);
    await gh?.stop();
    for (const r of [foreign, redirector]) await new Promise((resolve) => r?.server.close(resolve));
  });

  /** A GitRepo with `spec` and a CommitStatus on it; resolves with the CommitStatus once it has a syncFailure. */
  async function failureFor(id: string, spec: Record<string, unknown>): Promise<CommitStatusObject> {
    const repo = `trust-${id}-${run}`;
    await admin.create({ apiVersion: API_VERSION, kind: 'GitRepo', metadata: { name: repo, namespace: SYSTEM_NS, labels: label }, spec: { ...spec, secretRef: { name: secretName } } });
    created.push({ kind: 'GitRepo', name: repo });
    await admin.create({
      apiVersion: API_VERSION,
      kind: 'CommitStatus',
      metadata: { name: repo, namespace: SYSTEM_NS, labels: label },
      spec: { gitRepoRef: { name: repo }, sha: SHA1, name: 'e2e/trust', phase: 'success' },
    });
    created.push({ kind: 'CommitStatus', name: repo });
    return eventually(async () => {
      const o = await admin.get<CommitStatusObject>({ apiVersion: API_VERSION, kind: 'CommitStatus', namespace: SYSTEM_NS, name: repo });
      return o.status?.syncFailure ? o : undefined;
    }, `syncFailure of ${repo}`);
  }

  it('an http apiUrl on an unlisted host is refused before any request: status names the allowed origins, the host sees no connection', async () => {
    const cs = await failureFor('http', { provider: 'github', owner: 'acme', name: 'leaky', apiUrl: `${foreign.url}/api/v3` });
    assert.equal(cs.status!.isSynced, false);
    const message = cs.status!.syncFailure!.message;
    assert.match(message, new RegExp(`apiUrl origin ${foreign.url} is not an allowed SCM API origin`));
    assert.ok(message.includes(gh.url) && message.includes(redirector.url) && message.includes('SLUICE_SCM_API_HOSTS'), message);
    await runtime.idle();
    assert.equal(foreign.connections, 0);
    assert.equal(foreign.requests.length, 0);
  });

  it('an https apiUrl on an unlisted host is refused too: no TLS hello, no token', async () => {
    const https = foreign.url.replace('http:', 'https:');
    const cs = await failureFor('https', { provider: 'github', owner: 'acme', name: 'leaky', apiUrl: https });
    assert.match(cs.status!.syncFailure!.message, new RegExp(`apiUrl origin ${https} is not an allowed SCM API origin`));
    await runtime.idle();
    assert.equal(foreign.connections, 0);
  });

  it('a configured API that redirects to another host: the redirect is not followed, so the Authorization header never leaves the configured origin', async () => {
    const cs = await failureFor('redirect', { provider: 'gitlab', owner: 'acme', name: 'leaky' });
    assert.match(cs.status!.syncFailure!.message, /307 redirect to another origin .*not followed/);
    assert.ok(redirector.requests.length > 0, 'the configured (trusted) API was asked');
    assert.equal(redirector.requests[0].headers.authorization, `Bearer ${TOKEN}`);
    await runtime.idle();
    assert.equal(foreign.connections, 0);
  });

  it("a provider's error page is not copied into status or logs: the HTTP status and a fixed message only", async () => {
    gh.injectFailure({ status: 502, path: /acme\/leaky/, times: 1000, body: `<html><body>${MARKER} upstream says hello</body></html>` });
    const cs = await failureFor('body', { provider: 'github', owner: 'acme', name: 'leaky' });
    const message = cs.status!.syncFailure!.message;
    assert.match(message, new RegExp(`^GET ${gh.url}/repos/acme/leaky/commits/${SHA1}/statuses: 502$`));
    assert.ok(!JSON.stringify(cs.status).includes(MARKER));
    assert.ok(gh.requests.some((r) => r.path.includes('acme/leaky')), 'the configured provider was asked');
    assert.ok(!JSON.stringify(logLines).includes(MARKER), 'no log line carries the page');
  });
});
