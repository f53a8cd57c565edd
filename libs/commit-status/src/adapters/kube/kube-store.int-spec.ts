import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAppCredentials, FakeGitHub } from '@sluice/fake-scm';
import { applyObject, KubeClient, loadKubeConfig } from '@sluice/kube';
import type { CommitStatusRuntime } from '../../application/commit-status-runtime';
import { API_VERSION, type CommitStatusObject } from './kube-store';
import { capturingLogger, settings, SHA1, SHA2 } from '../../testing/harness';
import { applyDeployManifests, deleteCreated, eventually, grantSecrets, requireKubeconfig, startTestRuntime, SYSTEM_NS } from '../../testing/kube';

/*
 * CommitStatus and GitRepo resources on the real kube-apiserver. User-created CommitStatuses
 * (not made by Sluice) are synced, under the sluice-commit-status service account's own token
 * (deploy/rbac/commit-status.yaml), so the RBAC is exercised as deployed.
 */

const REPO = 'acme/web';
const TOKEN = 'ghp_kube_test';

describe('CommitStatus resources on a real kube-apiserver (service-account token)', () => {
  const run = randomBytes(4).toString('hex');
  const label = { 'sluice.dev/test-run': run };
  const secretName = `cs-test-${run}`;
  const repoName = `web-${run}`;
  let admin: KubeClient;
  let gh: FakeGitHub;
  // A second GitHub (an Enterprise server, say) for the App test: trusted through the allow-list.
  const app = createAppCredentials(31337);
  let ghApp: FakeGitHub;
  let runtime: CommitStatusRuntime;
  const created: Array<{ kind: string; name: string }> = [];

  before(async () => {
    admin = new KubeClient(loadKubeConfig({ from: 'file', path: requireKubeconfig() }));
    await applyDeployManifests(admin);
    gh = new FakeGitHub({ tokens: [TOKEN] });
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'web' });
    gh.seed.commit(REPO, { message: 'one', files: { 'a.txt': '1' }, sha: SHA1 });
    gh.seed.commit(REPO, { message: 'two', files: { 'a.txt': '2' }, sha: SHA2 });
    ghApp = new FakeGitHub({ app: { appId: app.appId, publicKey: app.publicKey } });
    await ghApp.start();

    await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: SYSTEM_NS, labels: label }, stringData: { token: TOKEN } });
    created.push({ kind: 'Secret', name: secretName });
    await grantSecrets(admin, [secretName]);
    await admin.create({
      apiVersion: API_VERSION,
      kind: 'GitRepo',
      metadata: { name: repoName, namespace: SYSTEM_NS, labels: label },
      spec: { provider: 'github', owner: 'acme', name: 'web', apiUrl: gh.url, secretRef: { name: secretName } },
    });
    created.push({ kind: 'GitRepo', name: repoName });

    ({ runtime } = await startTestRuntime(admin, { run, providers: settings({ githubUrl: gh.url, apiOrigins: [ghApp.url] }), secretName, log: capturingLogger().log }));
  });

  after(async () => {
    await runtime?.stop();
    await deleteCreated(admin, created);
    await gh?.stop();
    await ghApp?.stop();
  });

  const get = (name: string) => admin.get<CommitStatusObject>({ apiVersion: API_VERSION, kind: 'CommitStatus', namespace: SYSTEM_NS, name });
  const contextStatuses = (sha: string, context: string) => gh.statuses(REPO, sha).filter((s) => s.context === context);

  it('a user-created CommitStatus is synced: the SCM holds the spec, status mirrors it', async () => {
    const name = `user-${run}`;
    await admin.create({
      apiVersion: API_VERSION,
      kind: 'CommitStatus',
      metadata: { name, namespace: SYSTEM_NS, labels: label },
      spec: { gitRepoRef: { name: repoName }, sha: SHA1, name: 'e2e/smoke', description: 'Smoke tests running', phase: 'in_progress', url: 'https://ci.example/42' },
    });
    created.push({ kind: 'CommitStatus', name });
    const synced = await eventually(async () => {
      const o = await get(name);
      return o.status?.isSynced ? o : undefined;
    }, 'status.isSynced');
    assert.equal(synced.status!.phase, 'in_progress');
    assert.equal(synced.status!.sha, SHA1);
    assert.equal(synced.status!.repo, REPO);
    assert.deepEqual(synced.status!.scm, { provider: 'github', apiUrl: gh.url });
    assert.equal(synced.status!.observedGeneration, synced.metadata.generation);
    assert.equal(synced.status!.syncFailure ?? null, null);
    const held = contextStatuses(SHA1, 'e2e/smoke');
    assert.equal(held.length, 1);
    assert.equal(held[0].state, 'pending');
    assert.equal(held[0].target_url, 'https://ci.example/42');

    // The user moves it to another commit while in progress: the old one is canceled first.
    await applyObject(
      admin,
      { apiVersion: API_VERSION, kind: 'CommitStatus', metadata: { name, namespace: SYSTEM_NS, labels: label }, spec: { ...(synced.spec as object), sha: SHA2, phase: 'queued' } },
      { fieldManager: 'user', force: true },
    );
    await eventually(async () => {
      const o = await get(name);
      return o.status?.sha === SHA2 && o.status.isSynced ? o : undefined;
    }, 'status on the new commit');
    assert.equal(contextStatuses(SHA1, 'e2e/smoke').at(-1)!.state, 'error');
    assert.match(contextStatuses(SHA1, 'e2e/smoke').at(-1)!.description ?? '', /^Canceled/);
    assert.equal(contextStatuses(SHA2, 'e2e/smoke').length, 1);
    const cancelAt = gh.requests.findIndex((r) => r.method === 'POST' && r.path.endsWith(`/statuses/${SHA1}`) && (r.body as { state?: string }).state === 'error');
    const newAt = gh.requests.findIndex((r) => r.method === 'POST' && r.path.endsWith(`/statuses/${SHA2}`));
    assert.ok(cancelAt >= 0 && cancelAt < newAt, 'canceled before the new commit was set');
  });

  it('a CommitStatus whose GitRepo is missing stalls with a syncFailure naming it, and syncs once the GitRepo exists', async () => {
    const name = `stalled-${run}`;
    const missing = `missing-${run}`;
    await admin.create({
      apiVersion: API_VERSION,
      kind: 'CommitStatus',
      metadata: { name, namespace: SYSTEM_NS, labels: label },
      spec: { gitRepoRef: { name: missing }, sha: SHA1, name: 'e2e/stalled', phase: 'success' },
    });
    created.push({ kind: 'CommitStatus', name });
    const stalled = await eventually(async () => {
      const o = await get(name);
      return o.status?.syncFailure ? o : undefined;
    }, 'syncFailure');
    assert.match(stalled.status!.syncFailure!.message, new RegExp(`GitRepo ${SYSTEM_NS}/${missing} not found`));
    assert.equal(stalled.status!.isSynced, false);
    await admin.create({
      apiVersion: API_VERSION,
      kind: 'GitRepo',
      metadata: { name: missing, namespace: SYSTEM_NS, labels: label },
      spec: { provider: 'github', owner: 'acme', name: 'web', apiUrl: gh.url, secretRef: { name: secretName } },
    });
    created.push({ kind: 'GitRepo', name: missing });
    await eventually(async () => (await get(name)).status?.isSynced, 'synced after the GitRepo appeared');
    assert.equal(contextStatuses(SHA1, 'e2e/stalled').at(-1)!.state, 'success');
  });

  it('a GitRepo whose Secret holds a GitHub App (appId, privateKey, installationId) reports check runs', async () => {
    ghApp.seed.repo({ owner: 'acme', name: 'web' });
    ghApp.seed.commit(REPO, { message: 'one', files: { 'a.txt': '1' }, sha: SHA1 });
    ghApp.seed.installation({ id: 808, account: 'acme', repositories: [REPO] });
    const appSecret = `cs-app-${run}`;
    await admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: appSecret, namespace: SYSTEM_NS, labels: label },
      stringData: { appId: String(app.appId), privateKey: app.privateKey, installationId: '808' },
    });
    created.push({ kind: 'Secret', name: appSecret });
    await grantSecrets(admin, [appSecret]);
    const appRepo = `app-${run}`;
    await admin.create({
      apiVersion: API_VERSION,
      kind: 'GitRepo',
      metadata: { name: appRepo, namespace: SYSTEM_NS, labels: label },
      spec: { provider: 'github', owner: 'acme', name: 'web', apiUrl: ghApp.url, secretRef: { name: appSecret } },
    });
    created.push({ kind: 'GitRepo', name: appRepo });
    const name = `checks-${run}`;
    await admin.create({
      apiVersion: API_VERSION,
      kind: 'CommitStatus',
      metadata: { name, namespace: SYSTEM_NS, labels: label },
      spec: { gitRepoRef: { name: appRepo }, sha: SHA1, name: 'e2e/checks', description: 'All green', phase: 'success', url: 'https://ci.example/7' },
    });
    created.push({ kind: 'CommitStatus', name });
    const synced = await eventually(async () => {
      const o = await get(name);
      return o.status?.isSynced ? o : undefined;
    }, 'check run synced');
    const [checkRun] = ghApp.checkRuns(REPO, SHA1);
    assert.equal(checkRun.name, 'e2e/checks');
    assert.equal(checkRun.conclusion, 'success');
    assert.equal(checkRun.output.summary, 'All green');
    assert.equal(synced.status!.provider?.github?.checkRunId, checkRun.id);
    assert.equal(ghApp.errors.length, 0);
  });

  it('status writes by the controller do not trigger further SCM calls (no reconcile loop)', async () => {
    await runtime.idle();
    await new Promise((r) => setTimeout(r, 300));
    const before = gh.requests.length;
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(gh.requests.length, before);
  });
});
