import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topics, type EventData, type EventEnvelope } from '@sluice/contracts';
import { FakeGitHub } from '@sluice/fake-scm';
import { Client } from 'pg';
import { waitUntil } from '@sluice/testing';
import { envelope, startCommitStatus, type App } from '../../testing/app';
import { previewDeployedData, previewRefOf } from '../../testing/events';

/*
 * Previews on the pull request, on PostgreSQL and Kafka: preview events published as autodeploy
 * and kube-applier publish them → GitHub deployments in `preview/<config>/pr-<n>` with their
 * statuses, and ONE comment per (config, pull request) edited in place, on fake GitHub.
 */

const REPO = 'acme/billing';
const TOKEN = 'ghp_previews_test';
const ENV = 'preview/billing-api/pr-7';
const WAIT = { timeoutMs: 60_000 };

describe('previews on the pull request (PostgreSQL + Kafka, fake GitHub)', () => {
  let gh: FakeGitHub;
  let svc: App;
  let h1: string;
  let h2: string;
  let h3: string;
  const env = { GITHUB_API_URL: '', GITHUB_TOKEN: TOKEN, COMMIT_STATUS_STORE: 'postgres' };

  before(async () => {
    gh = new FakeGitHub({ tokens: [TOKEN] });
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'billing' });
    h1 = gh.seed.commit(REPO, { message: 'push 1', branch: 'feature/x', files: { 'f.txt': '1' } });
    h2 = gh.seed.commit(REPO, { message: 'push 2', branch: 'feature/x', files: { 'f.txt': '2' } });
    h3 = gh.seed.commit(REPO, { message: 'other pr', branch: 'feature/y', files: { 'g.txt': '1' } });
    gh.seed.repo({ owner: 'acme', name: 'orders' });
    env.GITHUB_API_URL = gh.url;
    svc = await startCommitStatus(env, { kafka: true });
    // The catalogue announced acme/billing on GitHub (recording its builds does): its previews are GitHub's.
    await upserted('github', REPO, 101);
  });
  after(async () => {
    await svc?.stop();
    await svc?.database.drop();
    await gh?.stop();
  });

  const publish = (...events: EventEnvelope[]) => svc.bus.publish(Topics.deploy, events);
  const upserted = (provider: 'github' | 'bitbucket', fullName: string, id: number) =>
    svc.bus.publish(Topics.repo, [envelope('repo.upserted', `repo-${provider}-${id}`, { repo: { provider, fullName, id, defaultBranch: 'main', private: true } })]);
  const deployed = (data: EventData<'preview.deployed'>) => envelope('preview.deployed', 'preview-billing-api', data);
  const applied = (data: EventData<'preview.deployed'>, ok: boolean, message = '') =>
    envelope('preview.applied', 'applier-billing-api', { ...previewRefOf(data), ok, message, url: ok ? data.url : null, objects: 4 });
  const released = (data: EventData<'preview.deployed'>, reason: EventData<'preview.released'>['reason']) =>
    envelope('preview.released', 'preview-billing-api', { ...previewRefOf(data), reason });
  const previews = (environment = ENV) =>
    gh
      .deployments(REPO)
      .filter((d) => d.environment === environment)
      .sort((a, b) => a.id - b.id);
  const states = (environment = ENV) => previews(environment).map((d) => ({ sha: d.sha, states: d.statuses.map((s) => s.state) }));
  const comments = (pr = 7) => gh.comments(REPO, pr);
  const rows = async () =>
    (await svc.dataSource.query(`SELECT comment_version, comment_synced FROM commit_status.preview_pull_requests WHERE config = 'billing-api' AND pr = 7`)) as Array<{ comment_version: number; comment_synced: number }>;
  const settled = async () => {
    const pending: Array<{ n: string }> = await svc.dataSource.query(`SELECT count(*) AS n FROM commit_status.github_deployments WHERE synced_state IS DISTINCT FROM desired_state`);
    const r = await rows();
    return Number(pending[0].n) === 0 && r.length === 1 && r[0].comment_synced === r[0].comment_version;
  };

  it('deployed → applied → a new push (with a restart before converging) → applied → released: statuses in order, one comment edited in place', async () => {
    const p1 = previewDeployedData({ previewId: '0190a0a0-0000-7000-8000-0000000000b1', headSha: h1, imageTag: `feature-x-${h1.slice(0, 7)}` });
    const p2 = previewDeployedData({
      previewId: '0190a0a0-0000-7000-8000-0000000000b2',
      headSha: h2,
      imageTag: `feature-x-${h2.slice(0, 7)}`,
      expiresAt: '2026-12-07T10:00:00.000Z',
    });

    await publish(deployed(p1));
    await waitUntil(() => states()[0]?.states.length === 1 && comments().length === 1, { ...WAIT, message: 'first preview: in_progress and a comment' });
    assert.deepEqual(states(), [{ sha: h1, states: ['in_progress'] }]);
    const d1 = previews()[0];
    assert.deepEqual(d1.payload, { sluicePreviewId: p1.previewId, config: 'billing-api' });
    assert.equal(d1.transient_environment, true);
    assert.equal(d1.production_environment, false);
    assert.match(comments()[0].body, /deploying/);
    assert.ok(comments()[0].body.includes('<!-- sluice-preview:billing-api -->'));

    const ok1 = applied(p1, true);
    await publish(ok1);
    await waitUntil(() => states()[0]?.states.length === 2 && /ready/.test(comments()[0]?.body ?? ''), { ...WAIT, message: 'first preview: success' });
    assert.equal(previews()[0].statuses[1].environment_url, p1.url);
    const ready1 = comments()[0].body;
    for (const part of [p1.url!, p1.imageTag, h1.slice(0, 12), p1.expiresAt]) assert.ok(ready1.includes(part), part);

    // Redelivered (the same envelope) and repeated (a new envelope, the same outcome): nothing changes.
    await publish(ok1, applied(p1, true), deployed(p1));
    await sleep(1500);
    await waitUntil(settled, { ...WAIT, message: 'settled after the repeats' });
    assert.deepEqual(states(), [{ sha: h1, states: ['in_progress', 'success'] }]);
    assert.equal(comments().length, 1);
    assert.equal(comments()[0].body, ready1);
    const editsBefore = comments()[0].edits.length;

    // The second push: deployed and written to GitHub, then a crash before the deployment id and
    // the comment id were saved (the row says nothing was written), and a restart.
    await publish(deployed(p2));
    await waitUntil(() => states().length === 2 && states()[1].states.length === 1 && /deploying/.test(comments()[0].body), { ...WAIT, message: 'second push written' });
    await waitUntil(settled, { ...WAIT, message: 'second push settled' });
    await svc.stop();
    const db = new Client({ connectionString: svc.database.url });
    await db.connect();
    try {
      await db.query(`UPDATE commit_status.github_deployments SET deployment_id = NULL, synced_state = NULL WHERE deploy_id = $1`, [p2.previewId]);
      await db.query(`UPDATE commit_status.preview_pull_requests SET comment_id = NULL, comment_synced = 0`);
    } finally {
      await db.end();
    }
    svc = await startCommitStatus(env, { kafka: true, restartOf: { database: svc.database, prefix: svc.prefix, consumer: svc.consumer } });
    await waitUntil(settled, { ...WAIT, message: 'converged again after the restart' });
    assert.equal(previews().length, 2, 'the deployment made before the crash is adopted (found by payload.sluicePreviewId), not made again');
    assert.deepEqual(states()[1], { sha: h2, states: ['in_progress'] }, 'its status is already what is wanted: not posted again');
    assert.equal(comments().length, 1, 'the comment made before the crash is found by its marker, not made again');
    assert.equal(comments()[0].edits.length, editsBefore + 1, 'one edit for the second push; the restart changed nothing');

    await publish(applied(p2, true));
    await waitUntil(() => states()[1]?.states.length === 2 && comments()[0].body.includes(h2.slice(0, 12)) && /ready/.test(comments()[0].body), { ...WAIT, message: 'second push: success' });
    // A late outcome of the first push does not move the pull request back.
    await publish(applied(p1, false, 'late failure of the first push'));
    await publish(released(p2, 'merged'));
    await waitUntil(() => states()[1]?.states.at(-1) === 'inactive' && /released/.test(comments()[0].body), { ...WAIT, message: 'released' });
    await waitUntil(settled, { ...WAIT, message: 'settled after the release' });

    assert.deepEqual(states(), [
      { sha: h1, states: ['in_progress', 'success', 'inactive'] },
      { sha: h2, states: ['in_progress', 'success', 'inactive'] },
    ]);
    assert.equal(previews()[1].statuses[1].environment_url, p2.url);
    assert.equal(comments().length, 1, 'exactly one comment on PR 7');
    const c = comments()[0];
    assert.match(c.body, /released/);
    assert.match(c.body, /merged/);
    assert.ok(!c.body.includes('late failure'));
    const bodies = [...c.edits, c.body];
    assert.ok(bodies.some((b) => b.includes(h1.slice(0, 12))) && bodies.some((b) => b.includes(h2.slice(0, 12))), 'the body followed the pushes');
    assert.ok(bodies.some((b) => b.includes(p1.imageTag)) && c.body.includes(p2.imageTag));
  });

  it('a failed apply: failure status with the message, and the comment says so', async () => {
    const p = previewDeployedData({ previewId: '0190a0a0-0000-7000-8000-0000000000c1', pr: 8, headSha: h3, name: 'billing-api-pr-8', slot: 2, url: null });
    await publish(deployed(p));
    await publish(applied(p, false, 'ImagePullBackOff: ghcr.io/acme/billing:feature-y'));
    const env8 = 'preview/billing-api/pr-8';
    await waitUntil(() => states(env8)[0]?.states.at(-1) === 'failure' && /failed/.test(comments(8)[0]?.body ?? ''), { ...WAIT, message: 'failure' });
    const status = previews(env8)[0].statuses.at(-1)!;
    assert.match(status.description, /ImagePullBackOff/);
    assert.equal(status.environment_url, '', 'no URL: no environment_url');
    assert.equal(comments(8).length, 1);
    assert.match(comments(8)[0].body, /ImagePullBackOff/);
  });

  it('a pull request on a Bitbucket repository named like a GitHub repository: its preview is written to neither GitHub repository, waiting while the catalogue has not announced it', async () => {
    const p = previewDeployedData({ previewId: '0190a0a0-0000-7000-8000-0000000000d1', repo: 'acme/orders', pr: 9, headSha: 'd'.repeat(40), name: 'billing-api-pr-9', slot: 3 });
    const row = async () =>
      ((await svc.dataSource.query(
        `SELECT d.synced_state, d.desired_state, d.last_error, p.comment_synced, p.comment_version FROM commit_status.github_deployments d
           JOIN commit_status.preview_pull_requests p ON p.config = d.config AND p.pr = 9 WHERE d.deploy_id = $1`,
        [p.previewId],
      )) as Array<{ synced_state: string | null; desired_state: string; last_error: string | null; comment_synced: number; comment_version: number }>)[0];
    // Not catalogued yet (commit-status's consumer of sluice.repo.v1 behind): nothing is written, the rows wait.
    await publish(deployed(p));
    await waitUntil(async () => /not in the catalogue/.test((await row())?.last_error ?? ''), { ...WAIT, message: 'the deployment waits for the catalogue' });
    assert.equal((await row())!.synced_state, null);
    // The catalogue says Bitbucket (where previews show nothing yet): no GitHub deployment, no comment, the rows done.
    await upserted('bitbucket', 'acme/orders', 4501);
    await publish(applied(p, true));
    await waitUntil(async () => {
      const r = await row();
      return r?.synced_state === 'success' && r.comment_synced === r.comment_version && r.comment_version > 0;
    }, { ...WAIT, message: 'the Bitbucket preview settled without writes' });
    assert.deepEqual([gh.deployments('acme/orders').length, gh.comments('acme/orders').length], [0, 0]);
    assert.equal(gh.comments(REPO, 9).length, 0);
    assert.ok(!gh.requests.some((r) => r.method !== 'GET' && r.path.startsWith('/repos/acme/orders/')), 'no write to GitHub\'s acme/orders');
  });
});
