// Issue 16, fault 8: outages of a minute lose nothing. The five services run as processes
// (distributed mode) under a steady load of signed pushes and green builds, while each of
// their dependencies is cut in turn for SLUICE_DRILL_OUTAGE_SECONDS (default 60): PostgreSQL,
// the kube-apiserver and GitHub, each behind a TCP proxy this test cuts (open connections
// dropped, new ones reset: what a network partition or a stopped server looks like to a
// client). The sender redelivers a webhook until it is accepted, as GitHub's redelivery does.
// During each outage /readyz says which dependency is missing; afterwards every build is
// decided exactly once, nothing is dead-lettered, and the config converges to the last build
// with a success status on its commit. Each outage prints its figures.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { githubWebhookRequest } from '@sluice/fake-scm';
import { TcpProxy } from '@sluice/kube/testing';
import { kafkaBrokers, requireEnv } from '@sluice/testing';
import { CONFIG_NAME, Scenario, waitFor } from './support/scenario';
import { SERVICES, startDistributed, type Distributed, type ServiceName } from './support/sluice';
import { ARTIFACT_REPO, newArtifactCommit, startWorld, WEBHOOK_SECRET, type World } from './support/world';

const OUTAGE_MS = Number(process.env['SLUICE_DRILL_OUTAGE_SECONDS'] ?? 60) * 1000;
/** A build every this often, before, during and after each outage. */
const BUILD_EVERY_MS = 2_000;
/** Readiness must say it within this much after the cut (kube-applier waits 30 s before it calls the API server gone). */
const READINESS_WITHIN_MS = 45_000;

interface Figures {
  outage: string;
  builds: number;
  redeliveries: number;
  notReady: string;
  convergedMs: number;
}

describe(`outage drill: PostgreSQL, kube-apiserver and GitHub each cut for ${OUTAGE_MS / 1000} s under load`, { timeout: 3 * OUTAGE_MS + 600_000 }, () => {
  let world: World;
  let sluice: Distributed;
  let scenario: Scenario;
  const proxies: Record<'postgres' | 'kube' | 'github', TcpProxy> = {} as never;
  const builds: string[] = [];
  const figures: Figures[] = [];
  let redeliveries = 0;
  let controller: NodeJS.Timeout | undefined;

  /** Plays the Deployment controller (none runs here): every new generation of the Deployment rolls out. */
  const playDeploymentController = () => {
    let busy = false;
    controller = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        const d = (await scenario.deployment().catch(() => undefined)) as { metadata: { generation?: number }; status?: { observedGeneration?: number } } | undefined;
        if (d && d.status?.observedGeneration !== d.metadata.generation) await scenario.rollOut().catch(() => undefined);
      })().finally(() => (busy = false));
    }, 500);
  };

  /** Signs once and redelivers the same delivery until Sluice accepts it (GitHub's redelivery). */
  const deliver = async (event: string, payload: unknown): Promise<void> => {
    const req = githubWebhookRequest({ event, payload, secret: WEBHOOK_SECRET, deliveryId: randomUUID() });
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) redeliveries++;
      try {
        const res = await fetch(sluice.webhookUrl, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        if (res.status === 202) return;
        assert.ok(res.status >= 500 || res.status === 429, `a webhook is refused only for a transient reason during an outage: ${res.status} ${body}`);
      } catch {
        // the service did not answer in time: redeliver
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  /** A new commit of the artifact repository, its push and its green build, delivered until accepted. */
  const build = async (label: string): Promise<string> => {
    const sha = newArtifactCommit(world, label);
    builds.push(sha);
    await deliver('push', world.github.events.push(ARTIFACT_REPO, { branch: 'main' }));
    await deliver('workflow_run', world.github.events.workflowRun(ARTIFACT_REPO, { sha, name: 'ci', branch: 'main', conclusion: 'success' }));
    return sha;
  };

  /** Builds every BUILD_EVERY_MS until stopped; returns how many. */
  const load = (label: string) => {
    let running = true;
    let count = 0;
    const done = (async () => {
      while (running) {
        const started = Date.now();
        await build(`${label}-${count++}`);
        await new Promise((r) => setTimeout(r, Math.max(0, BUILD_EVERY_MS - (Date.now() - started))));
      }
      return count;
    })();
    return { stop: () => ((running = false), done) };
  };

  const readiness = async (service: ServiceName): Promise<{ status: number; body: string }> => {
    try {
      const res = await fetch(`${sluice.services[service].url}/readyz`, { signal: AbortSignal.timeout(8_000) });
      return { status: res.status, body: await res.text() };
    } catch (error) {
      return { status: 0, body: String(error) };
    }
  };

  /** Waits until some service's /readyz is 503 naming `what`; returns which services said so. */
  const waitNotReady = async (services: readonly ServiceName[], what: RegExp): Promise<string> => {
    const said = new Set<string>();
    await waitFor(
      async () => {
        for (const s of services) {
          const r = await readiness(s);
          if (r.status === 503 && what.test(r.body)) said.add(s);
        }
        return said.size > 0;
      },
      () => `a /readyz of ${services.join(', ')} at 503 naming ${what}`,
      READINESS_WITHIN_MS,
      1000,
    );
    return [...said].join(', ');
  };

  /** The config is on `sha`, its DeployConfig in the cluster carries its tag: the last build is deployed. */
  const converged = async (sha: string): Promise<number> => {
    const started = Date.now();
    await waitFor(
      async () => {
        const config = await scenario.api.config().catch(() => null);
        return config?.current.artifactSha === sha;
      },
      () => `the config deployed at the last build ${sha.slice(0, 7)}`,
      240_000,
      500,
    );
    await scenario.waitForApplied(sha, 120_000);
    return Date.now() - started;
  };

  before(async () => {
    const pg = new URL(requireEnv('SLUICE_TEST_DATABASE_URL'));
    proxies.postgres = new TcpProxy(pg.hostname, Number(pg.port));
    const kubeconfig = readFileSync(requireEnv('KUBECONFIG'), 'utf8');
    const apiserver = new URL(/server: (\S+)/.exec(kubeconfig)![1]!);
    proxies.kube = new TcpProxy(apiserver.hostname, Number(apiserver.port));
    world = await startWorld('outage-drill');
    const github = new URL(world.github.url);
    proxies.github = new TcpProxy(github.hostname, Number(github.port));
    for (const p of Object.values(proxies)) await p.start();
    // The services reach all three through the proxies; the test itself goes direct.
    mkdirSync(world.runDir, { recursive: true });
    const cutKubeconfig = join(world.runDir, 'kubeconfig-through-proxy');
    writeFileSync(cutKubeconfig, kubeconfig.replace(apiserver.origin, `https://127.0.0.1:${proxies.kube.port}`), { mode: 0o600 });
    sluice = await startDistributed(world, {
      databaseUrl: (url) => url.replace(`${pg.hostname}:${pg.port}`, `127.0.0.1:${proxies.postgres.port}`),
      env: {
        '*': { KUBECONFIG: cutKubeconfig, GITHUB_API_URL: `http://127.0.0.1:${proxies.github.port}` },
        'commit-status': { COMMIT_STATUS_MIN_WRITE_INTERVAL_MS: '100' },
      },
    });
    scenario = new Scenario(world, sluice);
    playDeploymentController();
    await scenario.pushConfigRepo();
    await scenario.waitForVirtualConfig();
    await converged(await build('warm-up'));
  });

  after(async () => {
    clearInterval(controller);
    for (const p of Object.values(proxies)) p.heal();
    if (figures.length) {
      process.stdout.write('# outage | builds during | redeliveries | not ready (service) | converged after heal\n');
      for (const f of figures) process.stdout.write(`# ${f.outage} ${OUTAGE_MS / 1000} s | ${f.builds} | ${f.redeliveries} | ${f.notReady} | ${(f.convergedMs / 1000).toFixed(1)} s\n`);
    }
    await sluice?.stop();
    await world?.stop();
    for (const p of Object.values(proxies)) await p?.stop();
  });

  const drill = (outage: keyof typeof proxies, notReady: { services: readonly ServiceName[]; naming: RegExp } | null) => async () => {
    const before = redeliveries;
    const traffic = load(outage);
    await new Promise((r) => setTimeout(r, 3_000));
    proxies[outage].partition();
    const cutAt = Date.now();
    const said = notReady ? await waitNotReady(notReady.services, notReady.naming) : 'n/a (not a readiness dependency)';
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - cutAt))));
    proxies[outage].heal();
    const count = await traffic.stop();
    const last = await build(`${outage}-after`);
    const convergedMs = await converged(last);
    figures.push({ outage, builds: count, redeliveries: redeliveries - before, notReady: said, convergedMs });
    process.stdout.write(`# ${outage} cut ${OUTAGE_MS / 1000} s: ${count} builds, ${redeliveries - before} redeliveries, not ready: ${said}; converged ${(convergedMs / 1000).toFixed(1)} s after the heal\n`);
  };

  it('PostgreSQL: every service says its database is gone, then catches up', drill('postgres', { services: SERVICES, naming: /database|postgres|connect/i }));

  it('the kube-apiserver: kube-applier says the API server is unreachable, then applies the newest build', drill('kube', { services: ['kube-applier'], naming: /API server .* unreachable/ }));

  it('GitHub: statuses and reads wait and catch up', drill('github', null));

  it('afterwards: every build was decided exactly once, nothing was dead-lettered, the last commit shows success', async () => {
    // Every green build of the tracked branch is decided — deploy requested, queued behind the one in flight, or
    // skipped (with why) — and none is requested twice.
    const stream = (await scenario.api.get<{ events: Array<{ type: string; data: { artifactSha?: string; cause?: string } }> }>(`/api/events?stream=config-${CONFIG_NAME}&limit=1000`)).events;
    const decided = new Set<string>();
    const requested = new Map<string, number>();
    for (const e of stream) {
      const sha = e.data.artifactSha;
      if (!sha || !['deploy.requested', 'deploy.queued', 'deploy.skipped'].includes(e.type)) continue;
      decided.add(sha);
      if (e.type === 'deploy.requested' && e.data.cause === 'autodeploy') requested.set(sha, (requested.get(sha) ?? 0) + 1);
    }
    assert.deepEqual([...requested].filter(([, n]) => n > 1), [], 'no build deployed twice');
    const undecided = builds.filter((sha) => !decided.has(sha));
    assert.deepEqual(undecided.map((sha) => sha.slice(0, 7)), [], `every build decided (${decided.size} of ${builds.length}; types seen: ${[...new Set(stream.map((e) => e.type))].join(', ')})`);

    const admin = new Kafka({ clientId: 'outage-drill', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const dlqs = (await admin.listTopics()).filter((t) => t.startsWith(sluice.topicPrefix) && t.endsWith('.dlq'));
      let dead = 0;
      for (const topic of dlqs) for (const p of await admin.fetchTopicOffsets(topic)) dead += Number(p.high) - Number(p.low);
      assert.equal(dead, 0, `dead letters in ${dlqs.join(', ')}`);
    } finally {
      await admin.disconnect();
    }

    const last = builds.at(-1)!;
    await scenario.rollOut();
    await scenario.waitForStatus(last, (s) => s.state === 'success', 'success on the last build', 120_000);
    const final = scenario.statusesOn(last).at(-1);
    assert.equal(final?.state, 'success', `the deployed commit's last status: ${JSON.stringify(scenario.statusesOn(last))}`);
  });
});
