// bench/e2e: build-completed webhook → DeployConfig applied, in distributed mode (the five
// services compiled by scripts/build-dist.mjs and run as child processes — through swc-node's
// in-process compiler each measured 209–257 MB — on Kafka, PostgreSQL, the
// kube-apiserver and the fake GitHub), at a steady rate (default 20 builds/s for 60 s).
// Reported: p50/p99 of webhook sent → the DeployConfig in the API server shows that artifact
// applied (status.observedGeneration = generation, phase Applied/Succeeded, seen through a
// WATCH, not polled; a build never applied counts as ∞), how many were applied, and the peak
// VmRSS of each service process. Baseline in the same run: the same build webhooks' own round
// trip (POST → 202). Also printed: when each service recorded its part of each delivery
// (event tables and inboxes, by correlation id), CPU per process, the load average.
//
// Each of N configs has its own artifact repository, so a build deploys exactly one config and
// builds of different configs never supersede one another; a config gets a build every N/rate
// seconds. The bench plays the Deployment controller (it marks a rollout done once applied) so
// that a deploy ends and the config's next build is not queued behind it (the count of builds
// that were is printed). The push of each commit goes one second before its build, as GitHub
// sends them: autodeploy only deploys a build of the branch head. kube-applier runs with its
// shipped resync and health-poll periods (the e2e harness shortens them for test speed).
//
//   BENCH_E2E_RATE, BENCH_E2E_SECONDS, BENCH_E2E_CONFIGS, BENCH_E2E_DRAIN_SECONDS, BENCH_E2E_WARM_UP_RATE
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers } from '@sluice/testing';
import { patchStatus, ResourceWatcher, type KubeObject } from '@sluice/kube';
import { Api } from '../e2e/support/scenario';
import { ROOT } from '../e2e/support/process';
import { SERVICES, startDistributed, type Distributed, type ServiceName } from '../e2e/support/sluice';
import { CONFIG_REPO, deploymentYaml, deployYaml, sendWebhook, startWorld, type World } from '../e2e/support/world';
import { percentile, report } from './report';
import { cpuSeconds, infraCpu, machineBusySeconds } from './support/cpu';
import { describeHistogramChange, scrapeHistograms, type HistogramSnapshot } from './support/prom-histograms';

const RATE = Number(process.env.BENCH_E2E_RATE ?? 20);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 60);
const CONFIGS = Number(process.env.BENCH_E2E_CONFIGS ?? 200);
/** Give up on a deploy this long after the last build was sent. */
const DRAIN_MS = Number(process.env.BENCH_E2E_DRAIN_SECONDS ?? 60) * 1000;
/** The warm-up (one deploy of each config, not measured) goes slower, so that it ends drained. */
const WARM_UP_RATE = Number(process.env.BENCH_E2E_WARM_UP_RATE ?? 5);
const COMPILED_DIR = join('.sluice-test', 'bench', 'dist');
const MB = 1024 * 1024;

interface Deploy {
  readonly config: string;
  readonly repo: string;
  readonly sha: string;
  measured: boolean;
  pushed?: Promise<void>;
  deliveryId?: string;
  sentAt?: number;
  acceptedAt?: number;
  /** The DeployConfig carries the new artifact in its spec (kube-applier wrote it). */
  writtenAt?: number;
  /** The DeployConfig status reports that generation applied. */
  appliedAt?: number;
  /** Rolled out (by the bench) and reported healthy: the config is free for its next deploy. */
  succeededAt?: number;
  error?: string;
}

interface DeployConfigView extends KubeObject {
  spec: { artifactSha: string | null };
  status?: { phase?: string; observedGeneration?: number };
}

const configName = (i: number) => `app-${i}`;
const repoOf = (i: number) => `acme/app-${i}`;

/** Compiled services, as the image runs them (always rebuilt: it takes about a second, outside the figures). */
function buildServices(): number {
  const t = Date.now();
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-dist.mjs'), '--out', join(ROOT, COMPILED_DIR)], { stdio: 'ignore' });
  return Date.now() - t;
}

/** N configs in the config repository, each with its own artifact repository (branch main, build `ci`). */
function seedConfigs(world: World): void {
  const files: Record<string, string> = {};
  for (let i = 0; i < CONFIGS; i++) {
    const [owner, name] = repoOf(i).split('/') as [string, string];
    world.github.seed.repo({ owner, name, defaultBranch: 'main' });
    world.github.seed.commit(repoOf(i), { message: 'initial', files: { 'README.md': `# ${name}\n` } });
    const image = `ghcr.io/acme/app-${i}`;
    files[`deploy/${configName(i)}/deploy.yaml`] = deployYaml(world.namespace, '', { repo: repoOf(i), image });
    files[`deploy/${configName(i)}/deployment.yaml`] = deploymentYaml(configName(i), image);
  }
  world.github.seed.commit(CONFIG_REPO, { message: `bench: ${CONFIGS} deploy configs`, files });
}

async function waitForConfigs(api: Api): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { configs } = await api.get<{ configs: Array<{ name: string; status: string }> }>('/api/configs');
    const active = configs.filter((c) => c.name.startsWith('app-') && c.status === 'active').length;
    if (active === CONFIGS) return;
    if (Date.now() > deadline) throw new Error(`${active} of ${CONFIGS} configs registered after 180 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** What the kube-controller-manager would do once the pods run (there is none in the test cluster). */
async function rollOut(world: World, name: string): Promise<void> {
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: world.namespace, name };
  const deployment = await world.kube.find(ref);
  if (!deployment) return;
  await patchStatus(
    world.kube,
    ref,
    {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'bench' }],
    },
    { fieldManager: 'bench-kube-controller-manager' },
  );
}

class Run {
  readonly bySha = new Map<string, Deploy>();
  readonly latestOf = new Map<string, Deploy>();
  /** Builds sent while the previous deploy of the same config had not ended (it queues behind it). */
  overlaps = 0;
  rolloutErrors = 0;
  private readonly rolledOut = new Set<string>();

  constructor(
    private readonly world: World,
    private readonly sluice: Distributed,
  ) {}

  /** Watch event → timestamps; an applied generation gets its rollout marked done. */
  observe(dc: DeployConfigView): void {
    const sha = dc.spec?.artifactSha;
    const deploy = sha ? this.bySha.get(sha) : undefined;
    if (!deploy) return;
    const now = performance.now();
    deploy.writtenAt ??= now;
    const status = dc.status ?? {};
    const applied = status.observedGeneration === dc.metadata.generation && (status.phase === 'Applied' || status.phase === 'Succeeded');
    if (!applied) return;
    deploy.appliedAt ??= now;
    if (status.phase === 'Succeeded') deploy.succeededAt ??= now;
    if (status.phase === 'Applied' && !this.rolledOut.has(sha!)) {
      this.rolledOut.add(sha!);
      rollOut(this.world, deploy.config).catch(() => (this.rolloutErrors += 1));
    }
  }

  plan(index: number, measured: boolean): Deploy {
    const i = index % CONFIGS;
    const label = `${measured ? 'm' : 'w'}${index}`;
    const sha = this.world.github.seed.commit(repoOf(i), { message: `app-${i}: ${label}`, files: { VERSION: `${label}\n` } });
    const deploy: Deploy = { config: configName(i), repo: repoOf(i), sha, measured };
    this.bySha.set(sha, deploy);
    // The push of that commit, as GitHub sends it when the commit lands (before its build finishes).
    const payload = this.world.github.events.push(deploy.repo, { branch: 'main' });
    deploy.pushed = sendWebhook(this.sluice.webhookUrl, 'push', payload).then((res) => {
      if (res.status !== 202) deploy.error = `push: ${res.status}`;
    });
    return deploy;
  }

  async build(deploy: Deploy): Promise<void> {
    await deploy.pushed;
    const previous = this.latestOf.get(deploy.config);
    if (previous && previous.succeededAt === undefined) this.overlaps += 1;
    this.latestOf.set(deploy.config, deploy);
    const payload = this.world.github.events.workflowRun(deploy.repo, { sha: deploy.sha, name: 'ci', branch: 'main', conclusion: 'success' });
    deploy.sentAt = performance.now();
    const res = await sendWebhook(this.sluice.webhookUrl, 'workflow_run', payload);
    deploy.acceptedAt = performance.now();
    deploy.deliveryId = res.deliveryId;
    if (res.status !== 202) deploy.error = `build: ${res.status}`;
  }

  /** `count` builds at `rate`/s, each push sent `lead` slots ahead; resolves once every build was answered. */
  async drive(count: number, offset: number, measured: boolean, rate = RATE): Promise<Deploy[]> {
    // The push of a commit goes `lead` slots (up to 1 s) before its build, and never after the
    // build of the config's previous commit (autodeploy skips a build that is not the branch head).
    const lead = Math.max(1, Math.min(Math.round(rate), Math.floor(CONFIGS / 2)));
    const deploys: Deploy[] = [];
    const inFlight: Promise<void>[] = [];
    const start = performance.now();
    for (let slot = 0; slot < count + lead; slot++) {
      const due = start + (slot * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (slot < count) deploys.push(this.plan(offset + slot, measured));
      if (slot >= lead) inFlight.push(this.build(deploys[slot - lead]!));
    }
    await Promise.all(inFlight);
    return deploys;
  }

  async waitApplied(deploys: Deploy[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (deploys.some((d) => d.appliedAt === undefined && !d.error) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }
}

/** Peak VmRSS of every service, sampled each 500 ms until stopped. */
function sampleRss(sluice: Distributed): { stop: () => Record<ServiceName, number> } {
  const peak = Object.fromEntries(SERVICES.map((s) => [s, 0])) as Record<ServiceName, number>;
  const tick = () => {
    for (const s of SERVICES) peak[s] = Math.max(peak[s], sluice.services[s].rssBytes() ?? 0);
  };
  tick();
  const timer = setInterval(tick, 500);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      return peak;
    },
  };
}

/** The histograms that say where a message's time went inside a service. */
const HISTOGRAMS = ['sluice_message_wait_duration_seconds', 'sluice_message_handle_duration_seconds', 'sluice_kube_applier_reconcile_duration_seconds'];

async function serviceHistograms(sluice: Distributed): Promise<Map<ServiceName, HistogramSnapshot>> {
  // A service that does not answer has no figures here; the bench goes on.
  const scrape = (s: ServiceName) => scrapeHistograms(sluice.services[s].url, HISTOGRAMS).catch((): HistogramSnapshot => new Map());
  return new Map(await Promise.all(SERVICES.map(async (s) => [s, await scrape(s)] as const)));
}

function describeServiceHistograms(before: Map<ServiceName, HistogramSnapshot>, after: Map<ServiceName, HistogramSnapshot>): string[] {
  return SERVICES.flatMap((s) => describeHistogramChange(before.get(s)!, after.get(s)!).map((line) => `  ${s}:${line}`));
}

function cpuOf(sluice: Distributed): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(SERVICES.map((s) => [s, cpuSeconds(sluice.services[s].pid)]));
  const own = process.cpuUsage();
  out['bench (driver + fake GitHub)'] = (own.user + own.system) / 1e6;
  Object.assign(out, infraCpu());
  out['whole machine'] = machineBusySeconds();
  return out;
}

/**
 * Where the time went: for each measured delivery, when each service recorded its event
 * (occurred_at in its own event table, same machine clock), relative to the webhook send.
 */
async function stages(sluice: Distributed, deploys: Deploy[], sentWall: Map<string, number>): Promise<string[]> {
  const client = new Client({ connectionString: sluice.db.url });
  await client.connect();
  try {
    const ids = deploys.map((d) => d.deliveryId!).filter(Boolean);
    // Each stage: correlation id → when it happened. A service's own event (occurred_at), its
    // inbox row for the upstream event (processed_at = start of the consuming transaction), or
    // its relay's hand-off to Kafka (the broker's append time of the message).
    const published = await publishTimes(sluice.topicPrefix, new Set(ids));
    const sql = async (query: string) =>
      new Map((await client.query<{ correlation_id: string; at: Date }>(query, [ids])).rows.map((r) => [r.correlation_id, r.at.getTime()]));
    const ev = (schema: string, type: string) =>
      sql(`SELECT correlation_id, min(occurred_at) AS at FROM ${schema}.events WHERE type = '${type}' AND correlation_id = ANY($1) GROUP BY correlation_id`);
    const inbox = (schema: string, upstream: string, type: string) =>
      sql(`SELECT e.correlation_id, min(i.processed_at) AS at FROM ${schema}.inbox i JOIN ${upstream}.events e ON e.id = i.event_id WHERE e.type = '${type}' AND e.correlation_id = ANY($1) GROUP BY e.correlation_id`);
    const relayed = async (topic: string, type: string) => published.get(`${topic}|${type}`) ?? new Map<string, number>();
    const wanted: Array<[string, () => Promise<Map<string, number>>]> = [
      ['webhook-ingest: scm.build.completed appended', () => ev('webhook_ingest', 'scm.build.completed')],
      ['webhook-ingest relay: on sluice.scm.v1', () => relayed('sluice.scm.v1', 'scm.build.completed')],
      ['repo-sync: consumed it', () => inbox('repo_sync', 'webhook_ingest', 'scm.build.completed')],
      ['repo-sync: repo.build.recorded appended', () => ev('repo_sync', 'repo.build.recorded')],
      ['repo-sync relay: on sluice.repo.v1', () => relayed('sluice.repo.v1', 'repo.build.recorded')],
      ['autodeploy: consumed it', () => inbox('autodeploy', 'repo_sync', 'repo.build.recorded')],
      ['autodeploy: deploy.requested appended', () => ev('autodeploy', 'deploy.requested')],
      ['autodeploy relay: on sluice.deploy.v1', () => relayed('sluice.deploy.v1', 'deploy.requested')],
      ['kube-applier: consumed it', () => inbox('kube_applier', 'autodeploy', 'deploy.requested')],
      ['kube-applier: deploy.started appended', () => ev('kube_applier', 'deploy.started')],
      ['kube-applier: deploy.applied appended', () => ev('kube_applier', 'deploy.applied')],
    ];
    const out: string[] = [];
    for (const [label, times] of wanted) {
      const ms = [...(await times())].map(([id, at]) => at - sentWall.get(id)!).sort((a, b) => a - b);
      out.push(`  ${label.padEnd(46)} n=${String(ms.length).padEnd(5)} p50 ${fmtMs(percentile(ms, 50))}  p99 ${fmtMs(percentile(ms, 99))}`);
    }
    return out;
  } finally {
    await client.end();
  }
}

/** `${logical topic}|${type}` → correlation id → earliest broker timestamp of such a message. */
async function publishTimes(prefix: string, correlationIds: ReadonlySet<string>): Promise<Map<string, Map<string, number>>> {
  const kafka = new Kafka({ clientId: 'bench-e2e-stages', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const topics = ['sluice.scm.v1', 'sluice.repo.v1', 'sluice.deploy.v1'];
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>(); // physical topic|partition → high watermark
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(prefix + topic)) ends.set(`${prefix + topic}|${p.partition}`, Number(p.high));
  }
  await admin.disconnect();
  const out = new Map<string, Map<string, number>>();
  const consumer = kafka.consumer({ groupId: `bench-e2e-stages-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: topics.map((t) => prefix + t), fromBeginning: true });
  const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([k]) => k));
  await new Promise<void>((resolve) => {
    if (remaining.size === 0) return resolve();
    void consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const correlationId = message.headers?.correlationId?.toString();
        const type = message.headers?.type?.toString();
        if (correlationId && correlationIds.has(correlationId)) {
          const key = `${topic.slice(prefix.length)}|${type}`;
          const byId = out.get(key) ?? new Map<string, number>();
          out.set(key, byId);
          const at = Number(message.timestamp);
          if (!byId.has(correlationId) || at < byId.get(correlationId)!) byId.set(correlationId, at);
        }
        if (Number(message.offset) + 1 >= ends.get(`${topic}|${partition}`)!) remaining.delete(`${topic}|${partition}`);
        if (remaining.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}

const fmtMs = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms)} ms`.padStart(8) : '     n/a');

export async function benchE2e(): Promise<boolean> {
  const buildMs = buildServices();
  const world = await startWorld('bench-e2e');
  seedConfigs(world);
  const sluice = await startDistributed(world, {
    compiledDir: COMPILED_DIR,
    // kube-applier as shipped (the e2e harness shortens both for test speed): a resync every
    // 10 s re-applies every DeployConfig and queues new deploys behind that work.
    env: { 'kube-applier': { KUBE_APPLIER_RESYNC_SECONDS: '60', KUBE_APPLIER_HEALTH_POLL_SECONDS: '5' } },
  });
  const watcher = new ResourceWatcher<DeployConfigView>(world.kube, { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: world.namespace });
  try {
    const run = new Run(world, sluice);
    const watching = watcher.run((event) => {
      if (event.type === 'ADDED' || event.type === 'MODIFIED') run.observe(event.object);
    });
    void watching.catch(() => undefined);
    await watcher.waitForSync();

    // Discovery: the config repository's default branch pushed once; every config registered.
    const api = new Api(sluice);
    const pushed = await sendWebhook(sluice.webhookUrl, 'push', world.github.events.push(CONFIG_REPO, { branch: 'main' }));
    if (pushed.status !== 202) throw new Error(`config repository push: ${pushed.status}`);
    await waitForConfigs(api);

    // Warm-up (not measured): one deploy of every config, which also creates the objects.
    const warm = await run.drive(CONFIGS, 0, false, WARM_UP_RATE);
    await run.waitApplied(warm, 120_000);
    const warmMissing = warm.filter((d) => d.appliedAt === undefined).length;
    if (warmMissing > 0) process.stdout.write(`bench e2e: warm-up: ${warmMissing} of ${warm.length} deploys not applied within 120 s\n`);
    await new Promise((r) => setTimeout(r, 3_000)); // the warm-up rollouts end
    run.overlaps = 0;

    const rssAtStart = Object.fromEntries(SERVICES.map((s) => [s, Math.round((sluice.services[s].rssBytes() ?? 0) / MB)]));
    const rss = sampleRss(sluice);
    // The driver and the fake GitHub share this process: its event-loop delay says whether they kept up.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const load0 = loadavg();
    const cpu0 = cpuOf(sluice);
    const histograms0 = await serviceHistograms(sluice);
    const wall0 = performance.now();
    const total = Math.round(RATE * SECONDS);
    const measured = await run.drive(total, CONFIGS, true);
    const sends = measured.map((d) => d.sentAt!).sort((a, b) => a - b);
    const achievedRate = (total - 1) / ((sends.at(-1)! - sends[0]!) / 1000);
    await run.waitApplied(measured, DRAIN_MS);
    const peak = rss.stop();
    loopDelay.disable();
    const load1 = loadavg();
    const cpu1 = cpuOf(sluice);
    const histogramLines = describeServiceHistograms(histograms0, await serviceHistograms(sluice));
    const wallSeconds = (performance.now() - wall0) / 1000;
    const cpuLine = Object.keys(cpu1)
      .map((k) => `${k} ${Math.round(((cpu1[k]! - cpu0[k]!) / wallSeconds) * 100)}%`)
      .join(', ');

    const done = measured.filter((d) => d.appliedAt !== undefined && d.sentAt !== undefined);
    // A build never applied (superseded in the queue, or still pending at the end) counts as ∞.
    const latencies = measured.map((d) => (d.appliedAt !== undefined && d.sentAt !== undefined ? d.appliedAt - d.sentAt : Infinity)).sort((a, b) => a - b);
    const written = measured.filter((d) => d.writtenAt !== undefined && d.sentAt !== undefined).map((d) => d.writtenAt! - d.sentAt!).sort((a, b) => a - b);
    const accepted = measured.filter((d) => d.acceptedAt !== undefined).map((d) => d.acceptedAt! - d.sentAt!).sort((a, b) => a - b);
    const errors = measured.filter((d) => d.error).map((d) => d.error!);

    // performance.now() → wall clock, for the services' occurred_at.
    const toWall = Date.now() - performance.now();
    const sentWall = new Map(measured.filter((d) => d.deliveryId).map((d) => [d.deliveryId!, d.sentAt! + toWall]));
    const stageLines = await stages(sluice, measured, sentWall).catch((e: Error) => [`  (stages unavailable: ${e.message})`]);

    const baseline50 = { name: 'webhook POST → 202 p50', value: percentile(accepted, 50) };
    const baseline99 = { name: 'webhook POST → 202 p99', value: percentile(accepted, 99) };
    const met = report(`e2e (build webhook → DeployConfig applied; ${total} builds at ${RATE}/s over ${CONFIGS} configs, distributed, compiled services)`, [
      { name: 'p50 webhook → DeployConfig applied', value: percentile(latencies, 50), unit: 'ms', baseline: baseline50, target: { op: '<=', value: 300 } },
      { name: 'p99 webhook → DeployConfig applied', value: percentile(latencies, 99), unit: 'ms', baseline: baseline99, target: { op: '<=', value: 1000 } },
      { name: 'deploys applied', value: done.length, unit: `of ${total}`, target: { op: '>=', value: total } },
      { name: 'achieved build rate', value: achievedRate, unit: '/s', target: { op: '>=', value: RATE * 0.95 } },
      ...SERVICES.map((s) => ({ name: `peak RSS ${s}`, value: peak[s] / MB, unit: 'MB', target: { op: '<=' as const, value: 200 } })),
    ]);
    process.stdout.write(
      [
        `webhook → DeployConfig written (spec, by kube-applier's consumer): p50 ${fmtMs(percentile(written, 50))}, p99 ${fmtMs(percentile(written, 99))}`,
        `stages (time from the build webhook send to each service's event, by correlation id):`,
        ...stageLines,
        `consumers and controllers over the measured phase (services' /metrics: wait = broker timestamp → handler start):`,
        ...histogramLines,
        `builds sent while the config's previous deploy had not succeeded yet (queued): ${run.overlaps}; rollout patch errors: ${run.rolloutErrors}; errors: ${errors.length}${errors.length ? ` (${[...new Set(errors)].slice(0, 3).join(', ')})` : ''}`,
        `RSS at the start of the measured phase (after the warm-up), MB: ${SERVICES.map((s) => `${s} ${rssAtStart[s]}`).join(', ')}`,
        `bench process event-loop delay (driver + fake GitHub): p50 ${(loopDelay.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`,
        `CPU over the measured phase (${wallSeconds.toFixed(0)} s, % of one core; the machine has ${cpus().length}): ${cpuLine}`,
        `load average (1/5/15 min): before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}; dist build ${buildMs} ms (not in the figures); logs in ${world.runDir}`,
        '',
      ].join('\n'),
    );
    return met;
  } finally {
    watcher.stop();
    await sluice.stop();
    await world.stop();
  }
}
