import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Topics, type DeployConfigRoot, type EventEnvelope } from '@sluice/contracts';
import type { InProcessMessageBus } from '@sluice/messaging';
import { uniqueName, waitUntil } from '@sluice/testing';
import request from 'supertest';
import { ADMIN_TOKEN, eventsOf, projectionCaughtUp, publishOutcome, publishRepo, sha, startAutodeploy, type Harness } from './testing/harness';

/**
 * Issue #16, faults 2, 5 and 6 over real PostgreSQL (in-process bus): a config added or
 * changed with `autodeploy: true` is deployed by the push that adds it, whichever order its
 * discovery and the push arrive in; every autodeploy decision not to deploy is a
 * `deploy.skipped` event in the config's history and the log; unpin moves the config at once.
 */
const C1 = sha('c');
const C2 = sha('d');
const S1 = sha('1');
const S2 = sha('2');
const S3 = sha('3');

let h: Harness;
const seenOnDeployTopic: EventEnvelope[] = [];
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
type Data = Record<string, unknown>;

before(async () => {
  h = await startAutodeploy();
  await h.bus.subscribe({
    group: uniqueName('observer'),
    topics: [Topics.deploy],
    handler: async (e) => {
      seenOnDeployTopic.push(e);
    },
  });
});

after(async () => {
  await h?.close();
});

/** A world of its own per test: config repository, artifact repository and config name. */
function world() {
  const id = uniqueName('w').replace(/[^a-z0-9]/g, '').slice(-10);
  const configRepo = `acme/config-${id}`;
  const artifactRepo = `acme/app-${id}`;
  const artifactless: DeployConfigRoot = {
    name: `docs-${id}`,
    team: 'payments',
    namespace: 'payments',
    artifact: null,
    track: { branch: 'main' },
    autodeploy: true,
    configRepo,
    path: `deploy/docs-${id}`,
  };
  const artifactful: DeployConfigRoot = {
    ...artifactless,
    name: `app-${id}`,
    path: `deploy/app-${id}`,
    artifact: { repo: artifactRepo, image: `ghcr.io/acme/app-${id}`, build: 'ci' },
  };
  return { configRepo, artifactRepo, artifactless, artifactful };
}

/** Every event published so far has been handled (consumer, relay and projection). */
async function settled(): Promise<void> {
  await (h.bus as InProcessMessageBus).drain();
  await projectionCaughtUp(h.dataSource);
}

const push = (repo: string, headSha: string, previousSha: string | null = null, branch = 'main') =>
  publishRepo(h.bus, 'repo.branch.updated', repo, { repo, defaultBranch: 'main', branch, headSha, previousSha, headCommit: null, forced: false });
const discovered = (root: DeployConfigRoot, configSha: string) => publishRepo(h.bus, 'repo.config.discovered', root.configRepo, { config: root, configSha });
const green = (repo: string, sha: string, branch = 'main', buildName = 'ci') =>
  publishRepo(h.bus, 'repo.build.recorded', repo, { repo, sha, branch, buildName, status: 'completed', conclusion: 'success', url: null });

async function requestsOf(config: string): Promise<Data[]> {
  return (await eventsOf(h.store, `config-${config}`)).filter((e) => e.type === 'deploy.requested' || e.type === 'deploy.queued').map((e) => e.data);
}

async function skipsOf(config: string): Promise<Data[]> {
  return (await eventsOf(h.store, `config-${config}`)).filter((e) => e.type === 'deploy.skipped').map((e) => e.data);
}

const pairs = (events: Data[]) => events.map((e) => [e.artifactSha, e.configSha]);

describe('a config added with autodeploy: true is deployed by the push that adds it (fault 2)', { timeout: 60_000 }, () => {
  it('artifactless, push first then discovery (the order repo-sync sends them): (null, pushed head)', async () => {
    const w = world();
    await push(w.configRepo, C1);
    await settled();
    await push(w.configRepo, C2, C1);
    await discovered(w.artifactless, C2);
    await settled();
    const requests = await requestsOf(w.artifactless.name);
    assert.deepEqual(pairs(requests), [[null, C2]]);
    assert.equal(requests[0]!.cause, 'autodeploy');
    assert.equal(requests[0]!.reason, `config discovered in ${w.configRepo} at ${C2.slice(0, 7)}…`);
  });

  it('artifactless, discovery first then the push: the new commit, once (not the older head, not twice)', async () => {
    const w = world();
    await push(w.configRepo, C1);
    await settled();
    await discovered(w.artifactless, C2);
    await settled();
    await push(w.configRepo, C2, C1);
    await settled();
    assert.deepEqual(pairs(await requestsOf(w.artifactless.name)), [[null, C2]]);
  });

  it('artifactless in a repository never seen before: the commit it was discovered at', async () => {
    const w = world();
    await discovered(w.artifactless, C1);
    await settled();
    assert.deepEqual(pairs(await requestsOf(w.artifactless.name)), [[null, C1]]);
  });

  it('a change that turns autodeploy on deploys, in either order', async () => {
    const w = world();
    await push(w.configRepo, C1);
    await discovered({ ...w.artifactless, autodeploy: false }, C1);
    await settled();
    assert.deepEqual(await requestsOf(w.artifactless.name), []);
    await push(w.configRepo, C2, C1);
    await publishRepo(h.bus, 'repo.config.changed', w.configRepo, { config: w.artifactless, configSha: C2 });
    await settled();
    assert.deepEqual(pairs(await requestsOf(w.artifactless.name)), [[null, C2]]);
  });

  it('artifactful whose tracked branch already has a green build, push then discovery: (newest green build, config head)', async () => {
    const w = world();
    await push(w.artifactRepo, S1);
    await green(w.artifactRepo, S1);
    await push(w.artifactRepo, S2, S1);
    await green(w.artifactRepo, S2);
    await green(w.artifactRepo, S3, 'feature/x');
    await push(w.configRepo, C1);
    await discovered(w.artifactful, C1);
    await settled();
    const requests = await requestsOf(w.artifactful.name);
    assert.deepEqual(pairs(requests), [[S2, C1]]);
    assert.equal(requests[0]!.imageTag, `main-${S2.slice(0, 7)}`);
  });

  it('artifactful, discovery before its push: the commit it was discovered at, once', async () => {
    const w = world();
    await push(w.artifactRepo, S1);
    await green(w.artifactRepo, S1);
    await push(w.configRepo, C1);
    await settled();
    await discovered(w.artifactful, C2);
    await settled();
    await push(w.configRepo, C2, C1);
    await settled();
    assert.deepEqual(pairs(await requestsOf(w.artifactful.name)), [[S1, C2]]);
  });

  it('artifactful with no green build yet records why, and the first green build deploys', async () => {
    const w = world();
    await push(w.configRepo, C1);
    await discovered(w.artifactful, C1);
    await settled();
    const [skip] = await skipsOf(w.artifactful.name);
    assert.equal(skip?.code, 'no-green-build');
    assert.equal(skip?.message, `no successful build ci of ${w.artifactRepo} on main is known yet: the next one deploys`);
    await push(w.artifactRepo, S1);
    await green(w.artifactRepo, S1);
    await settled();
    assert.deepEqual(pairs(await requestsOf(w.artifactful.name)), [[S1, C1]]);
  });
});

describe('every autodeploy decision leaves a trace (fault 5)', { timeout: 60_000 }, () => {
  it('pinned, stale build, other branch, autodeploy off: deploy.skipped in the history, /api/events and sluice.deploy.v1; another repository: nothing', async () => {
    const w = world();
    const manualOnly: DeployConfigRoot = { ...w.artifactful, name: `${w.artifactful.name}-m`, path: `${w.artifactful.path}-m`, autodeploy: false };
    await push(w.configRepo, C1);
    await push(w.artifactRepo, S1);
    await green(w.artifactRepo, S1);
    await discovered(w.artifactful, C1);
    await discovered(manualOnly, C1);
    await settled();
    const name = w.artifactful.name;
    assert.deepEqual(pairs(await requestsOf(name)), [[S1, C1]]);

    await request(h.http).post(`/api/configs/${name}/pin`).set(admin).send({ reason: 'freeze' }).expect(200);
    await push(w.artifactRepo, S2, S1);
    await green(w.artifactRepo, S2); // pinned
    await push(w.artifactRepo, S3, S2);
    await green(w.artifactRepo, S2); // a re-run of a commit the branch moved past: stale
    await green(w.artifactRepo, S3, 'feature/x'); // another branch
    await green(`${w.artifactRepo}-other`, S3); // another repository: concerns neither config
    await settled();

    const skips = await skipsOf(name);
    assert.deepEqual(
      skips.map((s) => [s.code, s.artifactSha]),
      [
        ['pinned', S2],
        ['stale-build', S2],
        ['other-branch', S3],
      ],
    );
    assert.equal(skips[0]!.message, 'pinned by admin: freeze; unpin to let autodeploy move it');
    assert.equal(skips[0]!.reason, `build ci of ${w.artifactRepo}@${S2.slice(0, 7)}… on main succeeded`);
    assert.match(String(skips[1]!.message), new RegExp(`main of ${w.artifactRepo} is at ${S3.slice(0, 7)}… now`));
    assert.equal(skips[2]!.message, `${name} tracks main, not feature/x`);
    assert.deepEqual(pairs(await requestsOf(name)), [[S1, C1]]);

    // autodeploy: false — the two builds of what it tracks after its discovery; not feature/x.
    const manualSkips = await skipsOf(manualOnly.name);
    assert.deepEqual(
      manualSkips.map((s) => [s.code, s.artifactSha]),
      [
        ['autodeploy-off', S2],
        ['autodeploy-off', S2],
      ],
    );
    assert.match(String(manualSkips[0]!.message), /says autodeploy: false$/);

    const history = (await request(h.http).get(`/api/configs/${name}/history`).set(admin).expect(200)).body.history as Data[];
    const skipped = history.filter((e) => e.type === 'deploy.skipped');
    assert.equal(skipped.length, 3);
    assert.deepEqual(skipped.at(-1), { ...skipped.at(-1), actor: 'autodeploy', reason: skips[0]!.reason, message: skips[0]!.message });

    const log = (await request(h.http).get(`/api/events?stream=config-${name}`).set(admin).expect(200)).body.events as Array<{ type: string }>;
    assert.equal(log.filter((e) => e.type === 'deploy.skipped').length, 3);

    await waitUntil(() => seenOnDeployTopic.filter((e) => e.type === 'deploy.skipped' && (e.data as Data).config === name).length === 3, {
      message: 'the relay publishes deploy.skipped on sluice.deploy.v1',
    });
  });
});

describe('unpin hands the config back to autodeploy at once (fault 6)', { timeout: 60_000 }, () => {
  it('artifactful: moves to the newest green build of the tracked branch with the config head', async () => {
    const w = world();
    const name = w.artifactful.name;
    await push(w.configRepo, C1);
    await push(w.artifactRepo, S1);
    await green(w.artifactRepo, S1);
    await discovered(w.artifactful, C1);
    await settled();
    const [first] = await requestsOf(name);
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: first!.deployId as string, config: name });
    await request(h.http).post(`/api/configs/${name}/pin`).set(admin).send({ reason: 'incident' }).expect(200);
    await push(w.artifactRepo, S2, S1);
    await green(w.artifactRepo, S2);
    await push(w.configRepo, C2, C1);
    await settled();
    assert.deepEqual(pairs(await requestsOf(name)), [[S1, C1]]);

    await request(h.http).post(`/api/configs/${name}/unpin`).set(admin).send({ reason: 'incident over' }).expect(200);
    await settled();
    const requests = await requestsOf(name);
    assert.deepEqual(pairs(requests), [
      [S1, C1],
      [S2, C2],
    ]);
    assert.equal(requests[1]!.cause, 'autodeploy');
    assert.equal(requests[1]!.reason, 'unpinned by admin: incident over');
    const view = (await request(h.http).get(`/api/configs/${name}`).set(admin).expect(200)).body;
    assert.equal(view.pin, null);
  });

  it('artifactless: moves to the head of its tracked branch; already there: nothing new', async () => {
    const w = world();
    const name = w.artifactless.name;
    await push(w.configRepo, C1);
    await discovered(w.artifactless, C1);
    await settled();
    const [first] = await requestsOf(name);
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: first!.deployId as string, config: name });
    await request(h.http).post(`/api/configs/${name}/pin`).set(admin).send({}).expect(200);
    await request(h.http).post(`/api/configs/${name}/unpin`).set(admin).send({}).expect(200);
    await settled();
    assert.deepEqual(pairs(await requestsOf(name)), [[null, C1]], 'unpinned at the head it runs: no new deploy');

    await request(h.http).post(`/api/configs/${name}/pin`).set(admin).send({}).expect(200);
    await push(w.configRepo, C2, C1);
    await settled();
    assert.deepEqual((await skipsOf(name)).map((s) => s.code), ['pinned']);
    await request(h.http).post(`/api/configs/${name}/unpin`).set(admin).send({}).expect(200);
    await settled();
    assert.deepEqual(pairs(await requestsOf(name)), [
      [null, C1],
      [null, C2],
    ]);
  });
});
