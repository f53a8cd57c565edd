import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAppCredentials, FakeBitbucket, FakeGitHub, FakeGitLab } from '@sluice/fake-scm';
import { PHASES, type CommitStatusSpec, type Phase, type ProviderKind } from '../../domain/model';
import { bitbucketKey } from '../../domain/mapping';
import { Reconciler } from '../../application/reconciler';
import type { ProviderSettings } from '../../application/credentials';
import { PgCommitStatusStore } from '../postgres/pg-store';
import { DefaultScmStatusProviders } from './providers';
import { capturingLogger, SHA1, testDataSource } from '../../testing/harness';
import { ScmClients } from '@sluice/scm';

/*
 * Every phase × provider against the fakes (libs/fake-scm): what the SCM holds after each
 * reconcile is the mapping table of the README, status mirrors it, and a rate limit with
 * retry-after is honoured by each provider adapter.
 */

const REPO = 'acme/app';

interface Case {
  label: string;
  provider: ProviderKind;
  /** What the fake holds now for the check, in the provider's own words. */
  held(): Record<string, unknown> | undefined;
  expected: Record<Phase, Record<string, unknown>>;
  limit(): void;
  writeAsSomeoneElse(): Promise<void>;
}

describe('every phase × provider against the fake SCMs', () => {
  const app = createAppCredentials(99);
  const gh = new FakeGitHub({ tokens: ['ghp_matrix'] });
  const ghApp = new FakeGitHub({ app: { appId: app.appId, publicKey: app.publicKey } });
  const gl = new FakeGitLab({ tokens: ['glpat-matrix'] });
  const bb = new FakeBitbucket({ tokens: ['bb-matrix'] });
  let env: Awaited<ReturnType<typeof testDataSource>>;

  before(async () => {
    await Promise.all([gh.start(), ghApp.start(), gl.start(), bb.start()]);
    for (const f of [gh, ghApp]) {
      f.seed.repo({ owner: 'acme', name: 'app' });
      f.seed.commit(REPO, { message: 'one', files: { 'a.txt': '1' }, sha: SHA1 });
    }
    ghApp.seed.installation({ id: 5, account: 'acme', repositories: [REPO] });
    gl.seed.project({ id: 17, path: REPO, commits: [SHA1] });
    bb.seed.repo({ workspace: 'acme', slug: 'app', commits: [SHA1] });
    env = await testDataSource('cs_matrix');
  });
  after(async () => {
    await env.close();
    await Promise.all([gh.stop(), ghApp.stop(), gl.stop(), bb.stop()]);
  });

  function reconcilerFor(github: 'token' | 'app') {
    const providers: ProviderSettings = {
      github:
        github === 'token'
          ? { apiUrl: gh.url, token: 'ghp_matrix' }
          : { apiUrl: ghApp.url, app: { appId: String(app.appId), privateKey: app.privateKey, installationId: 5 } },
      gitlab: { apiUrl: `${gl.url}/api/v4`, token: 'glpat-matrix' },
      bitbucket: { apiUrl: `${bb.url}/2.0`, token: 'bb-matrix' },
    };
    const store = new PgCommitStatusStore({ dataSource: env.dataSource, providers, namespace: 'sluice' });
    const { log } = capturingLogger();
    return { store, reconciler: new Reconciler(store, new DefaultScmStatusProviders(new ScmClients({ minWriteIntervalMs: 10 })), null, log) };
  }

  const name = (label: string) => `matrix/${label.replace(/\W+/g, '-').toLowerCase()}`;
  const other = (url: string, init: RequestInit) => fetch(url, { ...init, headers: { 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) } });

  const cases: Array<Case & { github?: 'token' | 'app' }> = [
    {
      label: 'GitHub commit status (token)',
      provider: 'github',
      github: 'token',
      held: () => {
        const s = gh.statuses(REPO, SHA1).filter((x) => x.context === name('GitHub commit status (token)')).at(-1);
        return s && { state: s.state, description: s.description };
      },
      expected: {
        queued: { state: 'pending' },
        in_progress: { state: 'pending' },
        success: { state: 'success' },
        failure: { state: 'failure' },
        canceled: { state: 'error', description: 'Canceled: phase canceled' },
      },
      limit: () => gh.injectRateLimit({ status: 429, retryAfterSeconds: 1 }),
      writeAsSomeoneElse: async () => void gh.seed.status(REPO, SHA1, { state: 'success', context: name('GitHub commit status (token)'), description: 'not ours' }),
    },
    {
      label: 'GitHub check run (App)',
      provider: 'github',
      github: 'app',
      held: () => {
        const r = ghApp.checkRuns(REPO, SHA1).filter((x) => x.name === name('GitHub check run (App)')).at(-1);
        return r && { status: r.status, conclusion: r.conclusion, title: r.output.title, summary: r.output.summary };
      },
      expected: {
        queued: { status: 'queued', conclusion: null },
        in_progress: { status: 'in_progress', conclusion: null },
        success: { status: 'completed', conclusion: 'success' },
        failure: { status: 'completed', conclusion: 'failure' },
        canceled: { status: 'completed', conclusion: 'cancelled', title: name('GitHub check run (App)'), summary: 'phase canceled' },
      },
      limit: () => ghApp.injectRateLimit({ status: 403, retryAfterSeconds: 1, path: /check-runs/ }),
      writeAsSomeoneElse: async () => void ghApp.seed.checkRun(REPO, { head_sha: SHA1, name: name('GitHub check run (App)'), conclusion: 'failure' }),
    },
    {
      label: 'GitLab commit status',
      provider: 'gitlab',
      held: () => {
        const s = gl.statuses(17, SHA1).filter((x) => x.name === name('GitLab commit status')).at(-1);
        return s && { status: s.status, description: s.description };
      },
      expected: {
        queued: { status: 'pending' },
        in_progress: { status: 'running' },
        success: { status: 'success' },
        failure: { status: 'failed' },
        canceled: { status: 'canceled', description: 'phase canceled' },
      },
      limit: () => gl.injectRateLimit({ status: 429, retryAfterSeconds: 1 }),
      writeAsSomeoneElse: async () => {
        const res = await other(`${gl.url}/api/v4/projects/17/statuses/${SHA1}`, {
          method: 'POST',
          headers: { 'PRIVATE-TOKEN': 'glpat-matrix' },
          body: JSON.stringify({ state: 'success', name: name('GitLab commit status') }),
        });
        assert.equal(res.status, 201);
      },
    },
    {
      label: 'Bitbucket build status',
      provider: 'bitbucket',
      held: () => {
        const s = bb.statuses(REPO, SHA1).find((x) => x.key === bitbucketKey(name('Bitbucket build status')));
        return s && { state: s.state, name: s.name };
      },
      expected: {
        queued: { state: 'INPROGRESS' },
        in_progress: { state: 'INPROGRESS' },
        success: { state: 'SUCCESSFUL' },
        failure: { state: 'FAILED' },
        canceled: { state: 'STOPPED', name: name('Bitbucket build status') },
      },
      limit: () => bb.injectRateLimit({ status: 429, retryAfterSeconds: 1 }),
      writeAsSomeoneElse: async () => {
        const res = await other(`${bb.url}/2.0/repositories/${REPO}/commit/${SHA1}/statuses/build`, {
          method: 'POST',
          headers: { Authorization: 'Bearer bb-matrix' },
          body: JSON.stringify({ key: bitbucketKey(name('Bitbucket build status')), state: 'FAILED', url: 'https://other.example/' }),
        });
        assert.equal(res.status, 200);
      },
    },
  ];

  it('GitLab keeps a status in one state: a new description in the same state (refused by GitLab) is taken as written, not retried', async () => {
    const { store, reconciler } = reconcilerFor('token');
    const key = { namespace: 'matrix', name: 'gitlab-same-state' };
    const spec = (description: string): CommitStatusSpec => ({ gitRepoRef: { name: 'repo-gitlab-' }, sha: SHA1, name: 'sluice/same-state', description, phase: 'in_progress', url: null });
    await store.putRecord(key, spec('Deploying'), { provider: 'gitlab', fullName: REPO });
    await reconciler.reconcile(key);
    await store.putRecord(key, spec('Applied; waiting for health'), undefined);
    await reconciler.reconcile(key);
    const status = (await store.get(key))!.status!;
    assert.equal(status.isSynced, true, status.syncFailure?.message);
    assert.deepEqual(gl.statuses(17, SHA1).filter((x) => x.name === 'sluice/same-state').map((x) => x.status), ['running'], 'one running status');
  });

  for (const c of cases) {
    it(`${c.label}: each phase is written as the table says, read back as synced; drift reported; retry-after honoured`, async () => {
      const { store, reconciler } = reconcilerFor(c.github ?? 'token');
      const key = { namespace: 'matrix', name: name(c.label).replace(/\//g, '-') };
      const spec = (phase: Phase): CommitStatusSpec => ({ gitRepoRef: { name: `repo-${c.provider}-${c.github ?? ''}` }, sha: SHA1, name: name(c.label), description: `phase ${phase}`, phase, url: 'https://ci.example/run/1' });
      for (const phase of PHASES) {
        await store.putRecord(key, spec(phase), { provider: c.provider, fullName: REPO });
        await reconciler.reconcile(key);
        const held = c.held();
        assert.ok(held, `${phase}: nothing held`);
        for (const [k, v] of Object.entries(c.expected[phase])) assert.deepEqual(held[k], v, `${phase}: ${k}`);
        const status = (await store.get(key))!.status!;
        assert.equal(status.isSynced, true, `${phase}: ${status.syncFailure?.message}`);
        assert.equal(status.phase, phase);
        // Reconciling again posts nothing new.
        const before = JSON.stringify(c.held());
        await reconciler.reconcile(key);
        assert.equal(JSON.stringify(c.held()), before);
      }

      // Someone else changes it: reported as drift, not overwritten.
      await c.writeAsSomeoneElse();
      const heldAfterOther = JSON.stringify(c.held());
      await reconciler.reconcile(key);
      assert.equal(JSON.stringify(c.held()), heldAfterOther, 'drift not overwritten');
      const drifted = (await store.get(key))!.status!;
      assert.equal(drifted.isSynced, false);
      assert.match(drifted.syncFailure!.message, /^drift: /);

      // A new spec while the SCM says "retry after 1 s": nothing is sent before, success after.
      c.limit();
      await store.putRecord(key, { ...spec('success'), description: 'after the limit' }, undefined);
      const first = await reconciler.reconcile(key);
      assert.ok(first && first.requeueAfterMs !== undefined, `limited: ${JSON.stringify(first)}`);
      await reconciler.reconcile(key);
      await new Promise((r) => setTimeout(r, first.requeueAfterMs! + 50));
      await reconciler.reconcile(key);
      const fake = c.provider === 'gitlab' ? gl : c.provider === 'bitbucket' ? bb : c.github === 'app' ? ghApp : gh;
      assert.equal(fake.requestsWhileLimited().length, 0, 'no request while limited');
      const done = (await store.get(key))!.status!;
      assert.equal(done.isSynced, true, done.syncFailure?.message);
      assert.equal(done.description, 'after the limit');
      assert.equal(fake.errors.length, 0, String(fake.errors[0]));
    });
  }
});
