// Issue #23, drill "kill -9 soak" with the services themselves: the kill-soak beside this one runs
// the consume/inbox/relay code in stand-in processes at 10,000 events; this one runs the real
// services (distributed, real Kafka, PostgreSQL, kube-apiserver, the fake GitHub) and SIGKILLs
// autodeploy, kube-applier, commit-status and repo-sync — each consumer and each service's outbox
// relay — at random, restarting each, while a stream of green builds is deployed one after another.
// Every build must be deployed exactly once (one deploy per commit, one request and one success in
// the config's stream per deploy), the DeployConfig must end on the last build, every commit's
// last status must be success, and nothing may be dead-lettered. SLUICE_DRILL_SCALE=ci (npm test):
// 6 builds, 6 kills; full (npm run drills): 30 builds, 30 kills.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers } from '@sluice/testing';
import { CONFIG_NAME, Scenario, type DeployView } from '../support/scenario';
import { startDistributed, type Distributed, type ServiceName } from '../support/sluice';
import { startWorld, type World } from '../support/world';
import { drillScale, messagesIn, printFigures, sleep } from './support/drill';

const SCALE = { ci: { builds: 6, kills: 6 }, full: { builds: 30, kills: 30 } }[drillScale()];
const VICTIMS: readonly ServiceName[] = ['autodeploy', 'kube-applier', 'commit-status', 'repo-sync'];
/** How long each step of a deploy may wait (for the service just killed to be back). */
const STEP_TIMEOUT_MS = 240_000;
/** Between two kills: 1–4 s. */
const GAP_MS = [1_000, 4_000] as const;

describe(`kill -9 soak of the services: ${SCALE.builds} builds deployed while ${VICTIMS.join(', ')} are SIGKILLed ${SCALE.kills} times`, { timeout: 1_800_000 }, () => {
  let world: World;
  let sluice: Distributed;
  let scenario: Scenario;

  before(async () => {
    world = await startWorld('services-kill');
    sluice = await startDistributed(world, { env: { '*': { SLUICE_LEADER_POLL_SECONDS: '1' } } });
    scenario = await Scenario.discovered(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('deploys every build exactly once, ends on the last one, every status success, nothing dead-lettered', async () => {
    const started = Date.now();
    const kills: Array<{ service: ServiceName; readyMs: number }> = [];
    let killed = 0; // kill -9s sent (the last one's service may still be starting again)
    // The killer: a random service every 1–4 s, kill -9, then started again (and waited for), until the kills are done.
    const killer = (async () => {
      while (kills.length < SCALE.kills) {
        await sleep(GAP_MS[0] + Math.random() * (GAP_MS[1] - GAP_MS[0]));
        const service = VICTIMS[Math.floor(Math.random() * VICTIMS.length)]!;
        const at = Date.now();
        killed++;
        await sluice.crashAndRestart(service);
        kills.push({ service, readyMs: Date.now() - at });
      }
    })();
    killer.catch(() => undefined); // awaited below

    const shas: string[] = [];
    const deploys: DeployView[] = [];
    // Builds one after another, paced by the kills (a service takes tens of seconds to start again):
    // build i starts once kill -9 number ⌊(i-1)·kills/builds⌋ is sent, so it flows while that service
    // is down or starting again, and waits for it.
    const build = async (label: string) => {
      const sha = await scenario.pushArtifact(label);
      shas.push(sha);
      // Each step may wait for a service's restart on a loaded machine (kill → ready took up to ~60 s here).
      deploys.push(await scenario.deployBuild(sha, { stepTimeoutMs: STEP_TIMEOUT_MS }));
      process.stdout.write(`# build ${shas.length} ${sha.slice(0, 7)} deployed at +${Math.round((Date.now() - started) / 1000)} s, ${kills.length} kills so far\n`);
    };
    for (let i = 1; i <= SCALE.builds; i++) {
      const due = Math.floor(((i - 1) * SCALE.kills) / SCALE.builds);
      while (killed < due) await sleep(200);
      await build(`soak-${i}`);
    }
    await killer;
    await build('after-the-last-kill');

    // One deploy per commit, each succeeded; one request and one success per deploy in the history.
    const all = (await scenario.api.deploys()).filter((d) => d.kind === 'deploy' && d.artifactSha !== null && shas.includes(d.artifactSha));
    assert.deepEqual(
      shas.map((sha) => all.filter((d) => d.artifactSha === sha).map((d) => d.phase)),
      shas.map(() => ['succeeded']),
      'each build deployed once and succeeded',
    );
    assert.deepEqual(all.map((d) => d.id).sort(), deploys.map((d) => d.id).sort());
    // The config's whole stream, page by page (the raw log: every decision and outcome it recorded).
    const stream: Array<{ type: string; data: { deployId?: string } }> = [];
    for (let after: string | null = null; ; ) {
      const page: { events: typeof stream; next: string | null } = await scenario.api.get(`/api/events?stream=config-${CONFIG_NAME}&limit=500${after ? `&after=${after}` : ''}`);
      stream.push(...page.events);
      if (!page.next || page.events.length === 0) break;
      after = page.next;
    }
    for (const d of deploys) {
      const of = (type: string) => stream.filter((e) => e.type === type && e.data.deployId === d.id).length;
      assert.deepEqual([of('deploy.requested'), of('deploy.succeeded')], [1, 1], `deploy ${d.id}: one request, one success`);
    }
    const dc = await scenario.deployConfig();
    assert.equal((dc?.['spec'] as { artifactSha?: string } | undefined)?.artifactSha, shas.at(-1), 'the DeployConfig ends on the last build');
    for (const sha of shas) await scenario.waitForStatus(sha, (s) => s.state === 'success', `success on ${sha.slice(0, 7)}`);

    // Nothing dead-lettered on any topic of this run.
    const admin = new Kafka({ clientId: 'drill-dlq', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const dlqs = (await admin.listTopics()).filter((t) => t.startsWith(sluice.topicPrefix) && t.endsWith('.dlq'));
    await admin.disconnect();
    let deadLettered = 0;
    for (const topic of dlqs) deadLettered += await messagesIn(kafkaBrokers(), topic);
    assert.equal(deadLettered, 0, `dead-lettered on ${dlqs.join(', ')}`);

    const per = (service: ServiceName) => kills.filter((k) => k.service === service);
    const readies = kills.map((k) => k.readyMs).sort((a, b) => a - b);
    printFigures('services-kill', {
      builds: shas.length,
      'kills (kill -9, then started again)': kills.length,
      ...Object.fromEntries(VICTIMS.map((s) => [`  of ${s}`, per(s).length])),
      'kill → ready again, p50 (ms)': readies[Math.floor(readies.length / 2)] ?? 0,
      'kill → ready again, max (ms)': readies.at(-1) ?? 0,
      'deploys per build': all.length / shas.length,
      'dead-lettered': deadLettered,
      'duration (s)': Math.round((Date.now() - started) / 1000),
    });
  });
});
