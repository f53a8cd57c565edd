import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import { gitRepoNameFor } from '../../domain/naming';
import { eventually, SYSTEM_NS } from '../../testing/kube';
import { startOwnedStatuses, type OwnedStatusesFixture } from '../../testing/owned-statuses';

/*
 * Issue #23 on the real kube-apiserver and fake GitHub: the config's CommitStatus moves to the
 * next deploy's commit before the controller wrote the previous deploy's outcome (consumer lag:
 * here the controller is stopped while the events arrive). spec.previous carries the previous
 * commit's last phase: a success stays a success on GitHub, and only a deploy that never
 * finished is canceled.
 */

describe('commit-status on Kubernetes: the previous commit under lag (spec.previous, #23)', () => {
  let f: OwnedStatusesFixture;
  let sha: readonly string[];
  before(async () => {
    f = await startOwnedStatuses({ name: 'orders', commits: 6 });
    sha = f.commits;
  });
  after(async () => {
    await f?.close();
  });

  const key = () => ({ namespace: SYSTEM_NS, name: `sluice-${f.config}` });
  const held = (commit: string) => f.statuses(commit);
  const states = (commit: string) => held(commit).map((s) => s.state);
  const writes = () => f.gh.requests.filter((r) => r.method !== 'GET');
  const syncedOn = (commit: string, phase: string) =>
    eventually(async () => {
      const o = await f.resource();
      return o?.status?.sha === commit && o.status.phase === phase && o.status.isSynced && o.status.observedGeneration === o.metadata.generation ? o : undefined;
    }, `status ${phase} on ${commit.slice(0, 7)}`);
  /** The consumer moved the spec (the write after its commit) while the controller is stopped. */
  const specMoved = (commit: string, phase: string) =>
    eventually(async () => {
      const o = await f.resource();
      return o?.spec.sha === commit && o.spec.phase === phase ? o : undefined;
    }, `spec ${phase} on ${commit.slice(0, 7)}`);
  /** A deploy on `commit` reported in progress and synced to GitHub. */
  const inProgress = async (commit: string) => {
    const d = uuidv7();
    await f.publish('deploy.requested', f.requested(d, commit));
    await f.publish('deploy.started', { deployId: d, config: f.config });
    await syncedOn(commit, 'in_progress');
    return d;
  };

  it('A succeeded, then B started before the controller wrote the success: A ends success (never canceled), B in_progress', async () => {
    const [a, b] = sha;
    const dA = await inProgress(a);
    assert.equal(held(a).at(-1)!.state, 'pending');

    await f.svc.runtime.stop();
    await f.publish('deploy.succeeded', { deployId: dA, config: f.config });
    const dB = uuidv7();
    await f.publish('deploy.requested', f.requested(dB, b));
    await f.publish('deploy.started', { deployId: dB, config: f.config });
    const lagging = await specMoved(b, 'in_progress');
    // The lag of the issue: the spec is on B, the status still tracks A as last written (in progress).
    assert.equal(lagging.status?.sha, a);
    assert.equal(lagging.status?.phase, 'in_progress');
    assert.deepEqual(lagging.spec.previous, {
      gitRepoRef: { name: gitRepoNameFor('github', f.repo) },
      sha: a,
      phase: 'success',
      description: 'Deployed to payments',
      url: `https://sluice.example/deploys/${dA}`,
    });

    await f.svc.runtime.start();
    const synced = await syncedOn(b, 'in_progress');
    const last = held(a).at(-1)!;
    assert.equal(last.state, 'success', `A's latest status: ${JSON.stringify(held(a))}`);
    assert.equal(last.description, 'Deployed to payments');
    assert.equal(last.target_url, `https://sluice.example/deploys/${dA}`);
    assert.ok(!states(a).includes('error'), `A was never canceled: ${states(a).join(', ')}`);
    assert.deepEqual(states(b), ['pending']);
    assert.equal(held(b)[0].description, 'Deploying to payments');
    assert.equal(held(b)[0].target_url, `https://sluice.example/deploys/${dB}`);

    // Idempotent: again from A's stale status (a crash after the SCM writes, before the status write) → no write.
    f.gh.clearRequests();
    const stale = lagging.status!;
    await f.svc.store.writeStatus(key(), { ...stale, observedGeneration: stale.observedGeneration ?? 0, isSynced: stale.isSynced ?? false, syncFailure: stale.syncFailure ?? null, updatedAt: new Date().toISOString() });
    f.svc.runtime.enqueue(key());
    await syncedOn(b, 'in_progress');
    await f.svc.runtime.idle();
    assert.deepEqual(writes(), [], 'nothing written twice');
    assert.equal((await f.resource())!.metadata.generation, synced.metadata.generation);
  });

  it('a real supersede: B in progress, then C started before the controller caught up → B canceled, C in_progress', async () => {
    const [, b, c] = sha;
    await f.svc.runtime.stop();
    const dC = uuidv7();
    await f.publish('deploy.requested', f.requested(dC, c));
    await f.publish('deploy.started', { deployId: dC, config: f.config });
    const lagging = await specMoved(c, 'in_progress');
    assert.equal(lagging.status?.sha, b);
    // B reached no final phase, so the spec keeps A's success as previous (already on GitHub: not
    // written again); B is canceled from what the status tracks — it was written in progress.
    assert.deepEqual([lagging.spec.previous?.sha, lagging.spec.previous?.phase], [sha[0], 'success']);
    f.gh.clearRequests();

    await f.svc.runtime.start();
    await syncedOn(c, 'in_progress');
    assert.deepEqual(states(b), ['pending', 'error']);
    assert.match(held(b).at(-1)!.description ?? '', /^Canceled/);
    assert.deepEqual(states(c), ['pending']);
    assert.deepEqual(
      writes().map((w) => w.path.split('/').slice(-1)[0]),
      [b, c],
      'one cancel on B, one write on C: nothing on A',
    );
  });

  it('C succeeded, D requested, E started — all before the controller ran: C success, D nothing, E in_progress', async () => {
    const [, , c, d, e] = sha;
    const dC = (await f.resource())!.spec.url!.split('/').at(-1)!;
    await f.svc.runtime.stop();
    await f.publish('deploy.succeeded', { deployId: dC, config: f.config });
    await f.publish('deploy.requested', f.requested(uuidv7(), d));
    const dE = uuidv7();
    await f.publish('deploy.requested', f.requested(dE, e));
    await f.publish('deploy.started', { deployId: dE, config: f.config });
    const lagging = await specMoved(e, 'in_progress');
    assert.equal(lagging.status?.sha, c);
    // D never finished and never reached GitHub: C's success is what the spec keeps.
    assert.deepEqual([lagging.spec.previous?.sha, lagging.spec.previous?.phase], [c, 'success']);

    await f.svc.runtime.start();
    await syncedOn(e, 'in_progress');
    assert.deepEqual(states(c), ['pending', 'success']);
    assert.deepEqual(states(d), [], 'D was never deployed: nothing on it');
    assert.deepEqual(states(e), ['pending']);
  });
});
