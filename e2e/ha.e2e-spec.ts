// Issue #23, "High availability": two replicas of every service (distributed mode, real Kafka,
// PostgreSQL and kube-apiserver). The controllers of kube-applier and commit-status run in the
// leader of their replicas (a PostgreSQL advisory lock, SLUICE_LEADER_POLL_SECONDS); consumers
// share partitions through their group. A drill kills -9 the leading kube-applier, then the
// leading commit-status, then the new leader of kube-applier, each while a deploy is applied but
// not yet rolled out, in a stream of deploys. After each handover the killed replica is started
// again (same name, port and settings) and must rejoin as a follower while the other leads; the
// third kill makes that restarted replica take over. Every deploy succeeds exactly once, the
// DeployConfig ends on the last build, every commit ends with a success status, and the handover
// and rejoin times are printed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONFIG_NAME, imageOf, Scenario, tagOf, waitFor, type DeployView } from './support/scenario';
import { startDistributed, type Distributed, type ServiceName } from './support/sluice';
import type { ServiceProcess } from './support/process';
import { IMAGE, startWorld, type World } from './support/world';

const LEADER_POLL_SECONDS = 1;
const DEPLOYS = 7;
/** Which controller's leader is killed during deploy i (the third kill hits the replica elected at the first). */
const KILLS: Record<number, ServiceName> = { 2: 'kube-applier', 4: 'commit-status', 6: 'kube-applier' };
/**
 * Kill → the follower's /readyz says it leads: one lock poll at most, plus the readyz polling and
 * a loaded 2-core machine. Measured 0.15-1.05 s in three runs (the third kill, of the leader
 * elected at the first, with the restarted replica taking over, included).
 * (A restarted replica is ready again only after 32-49 s: its consumers join their groups once the
 * killed member's Kafka session timed out, kafkajs' 30 s; it is printed, not bounded here.)
 */
const ELECTED_BOUND_MS = LEADER_POLL_SECONDS * 1000 + 2_000;

interface Handover {
  role: ServiceName;
  killed: string;
  /** The replica that led after the kill. */
  elected: string;
  /** Kill → another replica's /readyz says it leads. */
  electedMs: number;
  /** Kill → that replica is ready with its controllers started (kube-applier: DeployConfigs listed). */
  readyMs: number;
  /** Restart of the killed replica → it is ready again and says it follows (-1 until then). */
  rejoinedMs: number;
}

async function readyz(p: ServiceProcess): Promise<{ status: number; leader: string; checks: Record<string, { ok: boolean; detail: string }> }> {
  try {
    const res = await fetch(`${p.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    return { status: res.status, leader: body.checks['leader']?.detail ?? '', checks: body.checks };
  } catch (error) {
    return { status: 0, leader: `no answer: ${(error as Error).message}`, checks: {} };
  }
}

describe('high availability: two replicas of every service; the leaders of kube-applier and commit-status killed mid-stream', { timeout: 480_000 }, () => {
  let world: World;
  let sluice: Distributed;
  let scenario: Scenario;
  const handovers: Handover[] = [];

  before(async () => {
    world = await startWorld('ha');
    sluice = await startDistributed(world, { replicas: 2, env: { '*': { SLUICE_LEADER_POLL_SECONDS: String(LEADER_POLL_SECONDS) } } });
    scenario = new Scenario(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  /** The replica that leads `role`, once exactly one of the live ones says so. */
  async function leaderOf(role: ServiceName): Promise<ServiceProcess> {
    let seen: string[] = [];
    let leader: ServiceProcess | undefined;
    await waitFor(
      async () => {
        const live = sluice.replicas[role].filter((p) => p.pid !== undefined);
        const answers = await Promise.all(live.map(readyz));
        seen = answers.map((a, i) => `${live[i]!.name}: ${a.leader}`);
        const leaders = live.filter((_, i) => answers[i]!.leader.startsWith(`leader of ${role}`));
        leader = leaders.length === 1 ? leaders[0] : undefined;
        return leader !== undefined;
      },
      () => `one leader of ${role} (${seen.join('; ')})`,
      30_000,
      100,
    );
    return leader!;
  }

  /**
   * kill -9 the leader of `role`; measures until another replica leads, and until it is ready.
   * Then starts the killed replica again (same name, port, settings and log file) in the
   * background: the returned promise ends once it is ready and follows while the other still leads.
   */
  async function killLeader(role: ServiceName): Promise<{ rejoined: Promise<void> }> {
    const leader = await leaderOf(role);
    const follower = sluice.replicas[role].find((p) => p !== leader && p.pid !== undefined)!;
    assert.match((await readyz(follower)).leader, new RegExp(`^follower of ${role}`));
    const killedAt = Date.now();
    await leader.kill9();
    let electedMs = -1;
    let last = '';
    await waitFor(
      async () => {
        const r = await readyz(follower);
        last = JSON.stringify(r);
        if (electedMs < 0 && r.leader.startsWith(`leader of ${role}`)) electedMs = Date.now() - killedAt;
        return electedMs >= 0 && r.status === 200;
      },
      () => `${follower.name} leads ${role} and is ready (last: ${last})`,
      60_000,
      50,
    );
    const handover: Handover = { role, killed: leader.name, elected: follower.name, electedMs, readyMs: Date.now() - killedAt, rejoinedMs: -1 };
    handovers.push(handover);
    return { rejoined: rejoin(role, leader, follower, handover) };
  }

  /** Starts the killed replica again; it must come back ready as a follower, `leader` still leading. */
  async function rejoin(role: ServiceName, killed: ServiceProcess, leader: ServiceProcess, handover: Handover): Promise<void> {
    const restartedAt = Date.now();
    killed.start();
    await killed.waitReady(180_000);
    const [again, other] = await Promise.all([readyz(killed), readyz(leader)]);
    assert.match(again.leader, new RegExp(`^follower of ${role}`), `${killed.name} restarted: ${JSON.stringify(again.checks)}`);
    assert.match(other.leader, new RegExp(`^leader of ${role}`), `${leader.name} still leads after ${killed.name} rejoined: ${JSON.stringify(other.checks)}`);
    // Exactly one leader among the two, as every live replica sees it.
    assert.equal(await leaderOf(role), leader);
    handover.rejoinedMs = Date.now() - restartedAt;
  }

  it(`a stream of ${DEPLOYS} deploys through three leader kills, each killed replica restarted: each deploy succeeds exactly once, statuses end success, the handovers are bounded`, async () => {
    // Both replicas of each controller service are up: one leads, the other follows.
    for (const role of ['kube-applier', 'commit-status'] as const) {
      const answers = await Promise.all(sluice.replicas[role].map(readyz));
      assert.deepEqual(answers.map((a) => a.leader.split(' ')[0]).sort(), ['follower', 'leader'], `${role}: ${JSON.stringify(answers.map((a) => a.leader))}`);
    }
    await scenario.pushConfigRepo();
    await scenario.waitForVirtualConfig();

    const done: Array<{ sha: string; deploy: DeployView }> = [];
    const started = Date.now();
    for (let i = 1; i <= DEPLOYS; i++) {
      const sha = await scenario.pushArtifact(`ha-${i}`);
      // Killed while this deploy is applied and waits for its rollout: the new leader must see it end.
      // The killed replica starts again meanwhile and has rejoined as a follower before the next deploy.
      const kill = KILLS[i];
      let rejoined: Promise<void> | undefined;
      const deploy = await scenario.deployBuild(sha, {
        beforeRollout: kill
          ? async () => {
              ({ rejoined } = await killLeader(kill));
              // Not awaited yet: a rejection before it is must not end the run as unhandled.
              rejoined.catch(() => undefined);
            }
          : undefined,
      });
      done.push({ sha, deploy });
      // A killed replica's partitions wait for the group's session timeout (30 s) before another
      // member takes them; their events then come in a burst, and the config's one CommitStatus may
      // move to the next commit before this one's success reached GitHub (spec.previous then keeps
      // that success instead of a cancel: docs/architecture.md §2 "Replicas and leaders", §5). The
      // next build still waits for it, so each deploy's status is checked as it ends.
      await scenario.waitForStatus(sha, (st) => st.state === 'success', 'the success status', 90_000);
      console.log(`deploy ${i}/${DEPLOYS} ${deploy.id} of ${sha.slice(0, 7)} succeeded at +${Math.round((Date.now() - started) / 1000)} s${kill ? ` (the leader of ${kill} killed during it)` : ''}`);
      if (rejoined) {
        await rejoined;
        const h = handovers.at(-1)!;
        console.log(`${h.killed} restarted and following ${h.role} again in ${h.rejoinedMs} ms (${h.elected} leads)`);
      }
    }

    for (const h of handovers) {
      console.log(`handover of ${h.role} after kill -9 of ${h.killed}: ${h.elected} elected in ${h.electedMs} ms, ready in ${h.readyMs} ms (lock poll ${LEADER_POLL_SECONDS} s); ${h.killed} rejoined as follower ${h.rejoinedMs} ms after its restart`);
    }
    assert.equal(handovers.length, Object.keys(KILLS).length);
    for (const h of handovers) assert.ok(h.electedMs <= ELECTED_BOUND_MS, `${h.role} elected within the poll (+ margin): ${h.electedMs} ms`);
    // The second kill of kube-applier hit the replica elected at the first, and the restarted one took over.
    const [first, , third] = handovers;
    assert.equal(third!.killed, first!.elected, 'the second kube-applier kill hits the leader elected at the first');
    assert.equal(third!.elected, first!.killed, 'the restarted kube-applier replica takes over');
    // Both replicas of each controller service are up again, exactly one leading.
    for (const role of ['kube-applier', 'commit-status'] as const) {
      const answers = await Promise.all(sluice.replicas[role].map(readyz));
      assert.deepEqual(answers.map((a) => a.leader.split(' ')[0]).sort(), ['follower', 'leader'], `${role} at the end: ${JSON.stringify(answers.map((a) => a.leader))}`);
    }

    // Exactly once: every deploy requested and succeeded once, applied at most once.
    const history = await scenario.api.history();
    for (const { deploy } of done) {
      const types = history.filter((h) => h.deployId === deploy.id).map((h) => h.type);
      for (const type of ['deploy.requested', 'deploy.succeeded']) {
        assert.equal(types.filter((t) => t === type).length, 1, `${type} once for ${deploy.id}: ${JSON.stringify(types)}`);
      }
      assert.ok(types.filter((t) => t === 'deploy.applied').length <= 1, `deploy.applied at most once for ${deploy.id}: ${JSON.stringify(types)}`);
      assert.ok(!types.includes('deploy.failed'), `no failure for ${deploy.id}: ${JSON.stringify(types)}`);
    }
    const deploys = await scenario.api.deploys();
    for (const { sha } of done) assert.equal(deploys.filter((d) => d.artifactSha === sha).length, 1, `one deploy of ${sha.slice(0, 7)}`);

    // The DeployConfig and its Deployment end on the last build.
    const last = done.at(-1)!.sha;
    const dc = await scenario.deployConfig();
    assert.equal((dc?.['spec'] as { imageTag?: string } | undefined)?.imageTag, tagOf(last));
    assert.equal(imageOf(await scenario.deployment()), `${IMAGE}:${tagOf(last)}`);
    assert.equal((await scenario.api.config()).current.artifactSha, last);

    // Every commit ends with a success status, each status written once, in lifecycle order.
    for (const { sha } of done) {
      await scenario.waitForStatus(sha, (s) => s.state === 'success', 'the success status');
    }
    await new Promise((r) => setTimeout(r, 1_500));
    for (const { sha } of done) scenario.assertDeployStatuses(sha, false);
    console.log(`config ${CONFIG_NAME}: ${DEPLOYS} deploys in ${Math.round((Date.now() - started) / 1000)} s through ${handovers.length} leader kills and restarts`);
  });
});
