import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Topics, type DeployConfigRoot, type EventEnvelope } from '@sluice/contracts';
import type { Subscription } from '@sluice/messaging';
import { uniqueName, waitUntil } from '@sluice/testing';
import request from 'supertest';
import { ADMIN_TOKEN, dumpReadModels, eventsOf, projectionCaughtUp, publishOutcome, publishRepo, sha, startAutodeploy, type Harness } from './testing/harness';
import { BILLING_ROOT } from './testing/fixtures';

/**
 * The autodeploy rules end to end over real Kafka and PostgreSQL: repo events published
 * as repo-sync would, outcomes as kube-applier would; decisions observed on sluice.deploy.v1.
 */
const S1 = sha('1');
const S2 = sha('2');
const S3 = sha('3');
const S4 = sha('4');
const C1 = sha('c');
const C2 = sha('d');

const billing = BILLING_ROOT;
const docs: DeployConfigRoot = { ...billing, name: 'docs-site', team: 'web', namespace: 'web', artifact: null, path: 'deploy/docs-site' };
const ledger: DeployConfigRoot = { ...billing, name: 'ledger', autodeploy: false, path: 'deploy/ledger' };

let h: Harness;
let observer: Subscription;
const seen: EventEnvelope[] = [];
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

type Data = Record<string, unknown>;
const onTopic = (type: string, config: string, match: (d: Data) => boolean = () => true) =>
  seen.filter((e) => e.type === type && (e.data as Data).config === config && match(e.data as Data));

async function observed(type: string | string[], config: string, match: (d: Data) => boolean = () => true): Promise<Data> {
  const types = Array.isArray(type) ? type : [type];
  const found = () => types.flatMap((t) => onTopic(t, config, match));
  await waitUntil(() => found().length > 0, { timeoutMs: 30_000, message: `${types.join('|')} for ${config} on ${Topics.deploy}` });
  return found()[0]!.data as Data;
}

/** Everything published before the sentinel push has been handled once its effect is visible (one partition, in order). */
async function sentinelPush(head: string): Promise<Data> {
  await publishRepo(h.bus, 'repo.branch.updated', 'acme/config', { repo: 'acme/config', defaultBranch: 'main', branch: 'main', headSha: head, previousSha: null, headCommit: null, forced: false });
  // docs-site (artifactless, autodeploy) requests every push: in flight, or queued behind the one in flight
  return observed(['deploy.requested', 'deploy.queued'], 'docs-site', (d) => d.configSha === head);
}

async function deploysOf(config: string): Promise<Data[]> {
  return (await eventsOf(h.store, `config-${config}`)).filter((e) => e.type.endsWith('.requested') || e.type === 'deploy.queued').map((e) => e.data);
}

before(async () => {
  h = await startAutodeploy({ kafka: true });
  observer = await h.bus.subscribe({
    group: uniqueName('observer'),
    topics: [Topics.deploy],
    handler: async (e) => {
      seen.push(e);
    },
  });
});

after(async () => {
  await observer?.stop();
  await h?.close();
});

describe('autodeploy over Kafka', { timeout: 180_000 }, () => {
  let firstDeploy: string;

  it('config discovered → a successful build on the tracked branch requests (S, C)', async () => {
    await publishRepo(h.bus, 'repo.branch.updated', 'acme/config', { repo: 'acme/config', defaultBranch: 'main', branch: 'main', headSha: C1, previousSha: null, headCommit: null, forced: false });
    for (const root of [billing, docs, ledger]) await publishRepo(h.bus, 'repo.config.discovered', 'acme/config', { config: root, configSha: C1 });
    await observed('config.registered', 'billing-api');
    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { repo: 'acme/billing', sha: S1, branch: 'main', buildName: 'ci', status: 'completed', conclusion: 'success', url: null });
    const requested = await observed('deploy.requested', 'billing-api');
    assert.equal(requested.artifactSha, S1);
    assert.equal(requested.configSha, C1);
    assert.equal(requested.imageTag, 'main-1111111');
    assert.equal(requested.cause, 'autodeploy');
    assert.equal(requested.requestedBy, 'autodeploy');
    firstDeploy = requested.deployId as string;
  });

  it('a build on another branch, another build name or a failed build requests nothing; an artifactless push requests (null, sha)', async () => {
    const build = { repo: 'acme/billing', status: 'completed' as const, url: null };
    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { ...build, sha: S2, branch: 'feature/x', buildName: 'ci', conclusion: 'success' });
    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { ...build, sha: S2, branch: 'main', buildName: 'lint', conclusion: 'success' });
    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { ...build, sha: S2, branch: 'main', buildName: 'ci', conclusion: 'failure' });
    const push = await sentinelPush(C2);
    assert.equal(push.artifactSha, null);
    assert.equal(push.cause, 'autodeploy');
    assert.equal((await deploysOf('billing-api')).length, 1);
  });

  it('records kube-applier outcomes in the config stream without publishing them again', async () => {
    await publishOutcome(h.bus, 'deploy.started', { deployId: firstDeploy, config: 'billing-api' });
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: firstDeploy, config: 'billing-api' });
    await waitUntil(async () => (await eventsOf(h.store, 'config-billing-api')).some((e) => e.type === 'deploy.succeeded'), { timeoutMs: 30_000 });
    const republished = seen.filter((e) => e.stream.startsWith('config-') && ['deploy.started', 'deploy.succeeded'].includes(e.type));
    assert.deepEqual(republished, []);
  });

  it('a manual deploy pins; the next green build does not redeploy until unpinned', async () => {
    const res = await request(h.http).post('/api/deploys').set(admin).send({ config: 'billing-api', artifactSha: S1, configSha: C2, reason: 'hotfix config' }).expect(202);
    const manual = await observed('deploy.requested', 'billing-api', (d) => d.deployId === res.body.deployId);
    assert.equal(manual.cause, 'manual');
    assert.equal((await observed('config.pinned', 'billing-api')).by, 'admin');
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: res.body.deployId, config: 'billing-api' });

    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { repo: 'acme/billing', sha: S3, branch: 'main', buildName: 'ci', status: 'completed', conclusion: 'success', url: null });
    await sentinelPush(sha('5'));
    assert.equal((await deploysOf('billing-api')).some((d) => d.artifactSha === S3), false, 'pinned config not redeployed');

    await request(h.http).post('/api/configs/billing-api/unpin').set(admin).send({ reason: 'done' }).expect(200);
    // unpinning moves it at once to the newest green build of main, with the config head
    const moved = await observed('deploy.requested', 'billing-api', (d) => d.artifactSha === S3);
    assert.deepEqual([moved.configSha, moved.cause, moved.reason], [sha('5'), 'autodeploy', 'unpinned by admin: done']);
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: moved.deployId as string, config: 'billing-api' });
    await waitUntil(async () => (await eventsOf(h.store, 'config-billing-api')).filter((e) => e.type === 'deploy.succeeded').length === 3, { timeoutMs: 30_000 });
    // S4 pushed; the build of the older S2 finishes after that push: stale, not deployed
    await publishRepo(h.bus, 'repo.branch.updated', 'acme/billing', { repo: 'acme/billing', defaultBranch: 'main', branch: 'main', headSha: S4, previousSha: S3, headCommit: null, forced: false });
    const green = { repo: 'acme/billing', branch: 'main', buildName: 'ci', status: 'completed' as const, conclusion: 'success' as const, url: null };
    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { ...green, sha: S2 });
    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { ...green, sha: S4 });
    const next = await observed('deploy.requested', 'billing-api', (d) => d.artifactSha === S4);
    assert.equal((await deploysOf('billing-api')).some((d) => d.artifactSha === S2), false, 'stale build not deployed');
    assert.equal(next.configSha, sha('5'), 'configSha = head of the config repository default branch');
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: next.deployId as string, config: 'billing-api' });
    await waitUntil(async () => (await eventsOf(h.store, 'config-billing-api')).filter((e) => e.type === 'deploy.succeeded').length === 4, { timeoutMs: 30_000 });
  });

  it('re-apply of an older deploy recreates its exact pair', async () => {
    await projectionCaughtUp(h.dataSource);
    const res = await request(h.http).post(`/api/deploys/${firstDeploy}/reapply`).set(admin).send({ reason: 'roll back' }).expect(202);
    const reapplied = await observed('deploy.requested', 'billing-api', (d) => d.deployId === res.body.deployId);
    assert.deepEqual([reapplied.artifactSha, reapplied.configSha, reapplied.imageTag], [S1, C1, 'main-1111111']);
    assert.equal(reapplied.cause, 'reapply');
    assert.equal(reapplied.reappliedFrom, firstDeploy);
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: res.body.deployId as string, config: 'billing-api' });
    await waitUntil(async () => (await eventsOf(h.store, 'config-billing-api')).filter((e) => e.type === 'deploy.succeeded').length === 5, { timeoutMs: 30_000 });
  });

  it('two deploy requests at the same instant: one in flight, the other queued or superseded, none lost', async () => {
    const pairs = [S1, S2, S3, S4, sha('6')];
    for (const s of [sha('6')]) {
      await publishRepo(h.bus, 'repo.branch.updated', 'acme/billing', { repo: 'acme/billing', defaultBranch: 'main', branch: 'main', headSha: s, previousSha: null, headCommit: null, forced: false });
    }
    await sentinelPush(sha('7'));
    const responses = await Promise.all(
      pairs.map((s) => request(h.http).post('/api/deploys').set(admin).send({ config: 'ledger', artifactSha: s, configSha: C1 })),
    );
    assert.deepEqual(responses.map((r) => r.status), [202, 202, 202, 202, 202]);
    const ids = new Set(responses.map((r) => r.body.deployId as string));
    assert.equal(ids.size, 5, 'every request got its own deploy');
    const events = await eventsOf(h.store, 'config-ledger');
    const requested = events.filter((e) => e.type === 'deploy.requested');
    const queued = events.filter((e) => e.type === 'deploy.queued');
    const superseded = events.filter((e) => e.type === 'deploy.superseded');
    assert.equal(requested.length, 1, 'one in flight');
    assert.equal(queued.length, 4, 'every other one queued');
    assert.equal(superseded.length, 3, 'each newer one superseded the queued older one');
    const accounted = new Set([...requested, ...queued].map((e) => e.data.deployId as string));
    assert.deepEqual([...accounted].sort(), [...ids].sort(), 'no lost update');
    const versions = (await h.store.readStream('config-ledger')).map((e) => e.streamVersion);
    assert.deepEqual(versions, versions.map((_, i) => i + 1));
  });

  it('a config removed from its repository is undeployed, then marked removed', async () => {
    await publishRepo(h.bus, 'repo.config.removed', 'acme/config', { name: 'billing-api', configRepo: 'acme/config', configSha: sha('8') });
    const undeploy = await observed('undeploy.requested', 'billing-api');
    assert.deepEqual([undeploy.artifactSha, undeploy.configSha, undeploy.cause], [null, null, 'undeploy']);
    await observed('config.removed', 'billing-api');
    const types = (await eventsOf(h.store, 'config-billing-api')).map((e) => e.type);
    assert.ok(types.indexOf('undeploy.requested') < types.indexOf('config.removed'));
    const config = await request(h.http).get('/api/configs/billing-api').set(admin);
    assert.ok(config.status === 200);
  });

  it('replay rebuilds read models equal to the live ones', async () => {
    await projectionCaughtUp(h.dataSource);
    const live = await dumpReadModels(h.dataSource);
    const replay = await request(h.http).post('/api/admin/replay').set(admin).expect(202);
    await waitUntil(async () => (await request(h.http).get(`/api/admin/replay/${replay.body.replayId}`).set(admin)).body.status === 'done', { timeoutMs: 30_000 });
    assert.equal(await dumpReadModels(h.dataSource), live);
  });
});
