// bench/e2e: build-completed webhook → DeployConfig applied, in distributed mode (the five
// services compiled by scripts/build-dist.mjs and run as child processes — through swc-node's
// in-process compiler each measured 209–257 MB — on Kafka, PostgreSQL, the kube-apiserver and the
// fake GitHub), stepped over build rates (default 1, 2, 4, 6, 8, 10, 12 /s, 20 s each, after a
// warm-up), side by side with a floor pipeline (issue #24).
//
// The floor (support/floor-pipeline.ts): one bare process that per build verifies the HMAC,
// commits one row to the same PostgreSQL and server-side-applies the same objects (DeployConfig,
// Deployment) with the same DeployConfig status write — the least any design must do. At each
// rate the Sluice step runs, then the floor step, with the same load generator and the same
// measurement: webhook sent → the DeployConfig in the API server shows that artifact applied
// (status.observedGeneration = generation, phase Applied/Succeeded, seen through a WATCH; a build
// not applied within the step's drain counts as ∞).
//
// Per rate and pipeline: p50/p99, CPU ms per build of the pipeline's own processes and of the
// infrastructure it uses (PostgreSQL: the backends of its own database; Kafka, kube-apiserver,
// etcd: their whole processes, which on a shared machine also serve others), PostgreSQL transactions (its
// database's xact_commit), kube-apiserver requests (apiserver_request_total, every client: also
// the bench's watches and rollout patches) and Kafka messages per build. The knee is the highest
// rate whose p99 ≤ 1 s; a pipeline stops stepping after two rates in a row over it. Printed: the
// knee and p50 at 2 /s of Sluice as ratios of the floor's, Sluice's CPU per build against the
// infrastructure's, each service's peak RSS at the knee; for Sluice's knee step also when each
// service recorded its part (event tables and inboxes, by correlation id) and its consumers'
// histograms. Written: <BENCH_OUTPUT_DIR>/knee.json and knee.svg (latency against rate, both pipelines).
//
// Each of N configs has its own artifact repository, so a build deploys exactly one config and
// builds of different configs never supersede one another. The bench plays the Deployment
// controller for Sluice (it marks a rollout done once applied) so that a deploy ends and the
// config's next build is not queued behind it (the count of builds that were is printed). The
// push of each commit goes one second before its build, as GitHub sends them: autodeploy only
// deploys a build of the branch head (the floor needs no push). kube-applier runs with its
// shipped resync and health-poll periods (the e2e harness shortens them for test speed).
//
//   BENCH_E2E_RATES (comma-separated), BENCH_E2E_STEP_SECONDS, BENCH_E2E_STEP_DRAIN_SECONDS,
//   BENCH_E2E_CONFIGS, BENCH_E2E_WARM_UP_RATE, BENCH_OUTPUT_DIR (default .sluice-test/bench/output)
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { createTestDatabase, kafkaBrokers, type TestDatabase } from '@sluice/testing';
import { patchStatus, ResourceWatcher, type KubeClient, type KubeObject } from '@sluice/kube';
import { createTestNamespace } from '@sluice/kube/testing';
import { Api } from '../e2e/support/scenario';
import { ROOT } from '../e2e/support/process';
import { SERVICES, startDistributed, type Distributed, type ServiceName, type SluiceUnderTest } from '../e2e/support/sluice';
import { CONFIG_REPO, deploymentYaml, deployYaml, sendWebhook, startWorld, WEBHOOK_SECRET, type World } from '../e2e/support/world';
import { percentile, report, type Figure } from './report';
import { cpuSeconds, infraCpu } from './support/cpu';
import { kneeChartSvg, type Curve } from './support/knee-chart';
import { describeCounterChange, describeHistogramChange, scrapeCounters, scrapeHistograms, type CounterSnapshot, type HistogramSnapshot } from './support/prom-histograms';

const RATES = (process.env.BENCH_E2E_RATES ?? '1,2,4,6,8,10,12').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_E2E_STEP_SECONDS ?? 20);
/** After a step's last build, how long its builds may still take to be applied (later = ∞). */
const STEP_DRAIN_MS = Number(process.env.BENCH_E2E_STEP_DRAIN_SECONDS ?? 15) * 1000;
export const CONFIGS = Number(process.env.BENCH_E2E_CONFIGS ?? 200);
/** Sluice measured with no build before the steps: what its polls cost. */
const IDLE_SECONDS = Number(process.env.BENCH_E2E_IDLE_SECONDS ?? 10);
/** The warm-up (one deploy of each config, not measured) goes slower, so that it ends drained. */
export const WARM_UP_RATE = Number(process.env.BENCH_E2E_WARM_UP_RATE ?? 5);
/**
 * The fake GitHub's primary rate limit for the e2e benches: far above GitHub's 5,000 an hour,
 * which thousands of builds spend within a run (Sluice would then wait out the reset, as it must
 * with the real GitHub, and the pipeline would not be measured). BENCH_E2E_GITHUB_PER_HOUR.
 */
export const GITHUB_REQUESTS_PER_HOUR = Number(process.env.BENCH_E2E_GITHUB_PER_HOUR ?? 10_000_000);
export const OUTPUT_DIR = resolve(ROOT, process.env.BENCH_OUTPUT_DIR ?? join('.sluice-test', 'bench', 'output'));
export const COMPILED_DIR = join('.sluice-test', 'bench', 'dist');
const KNEE_P99_MS = 1000;
export const MB = 1024 * 1024;

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
export function buildServices(): number {
  const t = Date.now();
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-dist.mjs'), '--out', join(ROOT, COMPILED_DIR)], { stdio: 'ignore' });
  return Date.now() - t;
}

/** N configs in the config repository, each with its own artifact repository (branch main, build `ci`). */
export function seedConfigs(world: World): void {
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

export async function waitForConfigs(api: Api): Promise<void> {
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
async function rollOut(kube: KubeClient, namespace: string, name: string): Promise<void> {
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name };
  const deployment = await kube.find(ref);
  if (!deployment) return;
  await patchStatus(
    kube,
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

/** A pipeline under load: where its webhooks go, where its DeployConfigs are, and what it costs. */
export interface Pipeline {
  readonly name: string;
  readonly webhookUrl: string;
  readonly namespace: string;
  /** Sluice deploys a build of the branch head only: the commit's push goes first. */
  readonly sendsPush: boolean;
  /** The bench marks its rollouts done (Sluice waits for them before the config's next deploy). */
  readonly rollsOut: boolean;
  /** CPU seconds so far of its own processes, by process. */
  cpu(): Record<string, number>;
  /** VmRSS bytes now of its own processes, by process. */
  rss(): Record<string, number>;
  /** Its database on the shared PostgreSQL (none: an embedded database, inside its process). */
  readonly databaseUrl?: string;
  /** The prefix of its Kafka topics (none: an in-process bus). */
  readonly kafkaTopicPrefix?: string;
}

export class Run {
  readonly bySha = new Map<string, Deploy>();
  readonly latestOf = new Map<string, Deploy>();
  /** Builds sent while the previous deploy of the same config had not ended (it queues behind it). */
  overlaps = 0;
  rolloutErrors = 0;
  private next = 0;
  private readonly rolledOut = new Set<string>();

  constructor(
    private readonly world: World,
    readonly pipeline: Pipeline,
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
    if (status.phase === 'Succeeded' || !this.pipeline.rollsOut) deploy.succeededAt ??= now;
    if (status.phase === 'Applied' && this.pipeline.rollsOut && !this.rolledOut.has(sha!)) {
      this.rolledOut.add(sha!);
      rollOut(this.world.kube, this.pipeline.namespace, deploy.config).catch(() => (this.rolloutErrors += 1));
    }
  }

  private plan(measured: boolean): Deploy {
    const index = this.next++;
    const i = index % CONFIGS;
    const label = `${this.pipeline.name}-${measured ? 'm' : 'w'}${index}`;
    const sha = this.world.github.seed.commit(repoOf(i), { message: `app-${i}: ${label}`, files: { VERSION: `${label}\n` } });
    const deploy: Deploy = { config: configName(i), repo: repoOf(i), sha, measured };
    this.bySha.set(sha, deploy);
    if (this.pipeline.sendsPush) {
      // The push of that commit, as GitHub sends it when the commit lands (before its build finishes).
      const payload = this.world.github.events.push(deploy.repo, { branch: 'main' });
      deploy.pushed = sendWebhook(this.pipeline.webhookUrl, 'push', payload).then((res) => {
        if (res.status !== 202) deploy.error = `push: ${res.status}`;
      });
    }
    return deploy;
  }

  private async build(deploy: Deploy): Promise<void> {
    await deploy.pushed;
    const previous = this.latestOf.get(deploy.config);
    if (previous && previous.succeededAt === undefined) this.overlaps += 1;
    this.latestOf.set(deploy.config, deploy);
    const payload = this.world.github.events.workflowRun(deploy.repo, { sha: deploy.sha, name: 'ci', branch: 'main', conclusion: 'success' });
    deploy.sentAt = performance.now();
    const res = await sendWebhook(this.pipeline.webhookUrl, 'workflow_run', payload);
    deploy.acceptedAt = performance.now();
    deploy.deliveryId = res.deliveryId;
    if (res.status !== 202) deploy.error = `build: ${res.status}`;
  }

  /** `count` builds at `rate`/s, each push sent `lead` slots ahead; resolves once every build was answered. */
  async drive(count: number, measured: boolean, rate: number): Promise<Deploy[]> {
    // The push of a commit goes `lead` slots (up to 1 s) before its build, and never after the
    // build of the config's previous commit (autodeploy skips a build that is not the branch head).
    const lead = this.pipeline.sendsPush ? Math.max(1, Math.min(Math.round(rate), Math.floor(CONFIGS / 2))) : 0;
    const deploys: Deploy[] = [];
    const inFlight: Promise<void>[] = [];
    const start = performance.now();
    for (let slot = 0; slot < count + lead; slot++) {
      const due = start + (slot * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (slot < count) deploys.push(this.plan(measured));
      if (slot >= lead) inFlight.push(this.build(deploys[slot - lead]!));
    }
    await Promise.all(inFlight);
    return deploys;
  }

  async waitApplied(deploys: Deploy[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (deploys.some((d) => d.appliedAt === undefined && !d.error) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }

  /** Watches the pipeline's DeployConfigs until stopped; resolves once the watch is synced. */
  async watch(): Promise<() => void> {
    const watcher = new ResourceWatcher<DeployConfigView>(this.world.kube, { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: this.pipeline.namespace });
    void watcher
      .run((event) => {
        if (event.type === 'ADDED' || event.type === 'MODIFIED') this.observe(event.object);
      })
      .catch(() => undefined);
    await watcher.waitForSync();
    return () => watcher.stop();
  }
}

/** Peak VmRSS of each of a pipeline's processes, sampled each 500 ms until stopped. */
function sampleRss(pipeline: Pipeline): { stop: () => Record<string, number> } {
  const peak: Record<string, number> = {};
  const tick = () => {
    for (const [name, bytes] of Object.entries(pipeline.rss())) peak[name] = Math.max(peak[name] ?? 0, bytes);
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

/** Log readers' polls that found committed events held back by an older open transaction (the pg_snapshot_xmin fence). */
const COUNTERS = ['sluice_log_reader_held_back_polls_total'];

interface ServiceMetrics {
  histograms: HistogramSnapshot;
  counters: CounterSnapshot;
}

async function serviceHistograms(sluice: Distributed): Promise<Map<ServiceName, ServiceMetrics>> {
  // A service that does not answer has no figures here; the bench goes on.
  const scrape = async (s: ServiceName): Promise<ServiceMetrics> => ({
    histograms: await scrapeHistograms(sluice.services[s].url, HISTOGRAMS).catch((): HistogramSnapshot => new Map()),
    counters: await scrapeCounters(sluice.services[s].url, COUNTERS).catch((): CounterSnapshot => new Map()),
  });
  return new Map(await Promise.all(SERVICES.map(async (s) => [s, await scrape(s)] as const)));
}

function describeServiceHistograms(before: Map<ServiceName, ServiceMetrics>, after: Map<ServiceName, ServiceMetrics>): string[] {
  return SERVICES.flatMap((s) =>
    [
      ...describeHistogramChange(before.get(s)!.histograms, after.get(s)!.histograms),
      ...describeCounterChange(before.get(s)!.counters, after.get(s)!.counters),
    ].map((line) => `  ${s}:${line}`),
  );
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

/** One pipeline at one rate. */
export interface Step {
  readonly rate: number;
  readonly sent: number;
  readonly achievedRate: number;
  readonly applied: number;
  readonly p50: number;
  readonly p99: number;
  /** Webhook POST → 202. */
  readonly acceptedP99: number;
  /** CPU ms per build: the pipeline's own processes (and each), the infrastructure (and each). */
  readonly cpuMsPerBuild: { own: number; infra: number; byProcess: Record<string, number> };
  readonly dbTransactionsPerBuild: number;
  readonly kubeRequestsPerBuild: number;
  readonly kafkaMessagesPerBuild: number;
  readonly peakRssMb: Record<string, number>;
  readonly overlaps: number;
  readonly errors: number;
}

/**
 * The infrastructure is shared (on a development machine, also with other people's test runs):
 * PostgreSQL's CPU is that of the backends connected to the pipeline's own database; Kafka's (when
 * the pipeline uses it), the kube-apiserver's and etcd's are their whole processes'.
 */
const PG_PART = 'postgres (its database)';

/** Requests the kube-apiserver has served so far (sum of apiserver_request_total). */
async function kubeRequests(kube: KubeClient): Promise<number> {
  const text = await kube.request<string>({ method: 'GET', path: '/metrics', accept: 'text/plain' });
  let total = 0;
  for (const line of String(text).split('\n')) if (line.startsWith('apiserver_request_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

/** Transactions (committed and rolled back) of one database so far (pg_stat_database), and the CPU seconds of each backend connected to it. */
async function databaseStats(url: string): Promise<{ transactions: number; backends: Map<number, number> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
    const pids = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return { transactions: Number(rows[0]?.n), backends: new Map(pids.rows.map((r) => [r.pid, cpuSeconds(r.pid)])) };
  } finally {
    await client.end();
  }
}

/** Messages on every topic of a prefix so far (sum of the partitions' high watermarks). */
async function topicMessages(prefix: string): Promise<number> {
  const admin = new Kafka({ clientId: 'bench-e2e-offsets', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of (await admin.listTopics()).filter((t) => t.startsWith(prefix))) {
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

interface Counters {
  cpu: Record<string, number>;
  infra: Record<string, number>;
  db: { transactions: number; backends: Map<number, number> };
  kube: number;
  kafka: number;
}

async function counters(world: World, pipeline: Pipeline): Promise<Counters> {
  const [db, kube, kafka] = await Promise.all([
    pipeline.databaseUrl ? databaseStats(pipeline.databaseUrl) : { transactions: NaN, backends: new Map<number, number>() },
    kubeRequests(world.kube),
    pipeline.kafkaTopicPrefix ? topicMessages(pipeline.kafkaTopicPrefix) : 0,
  ]);
  return { cpu: pipeline.cpu(), infra: infraCpu(), db, kube, kafka };
}

/** `rate`/s for STEP_SECONDS through one pipeline, drained for up to STEP_DRAIN_MS; the deploys and the figures. */
async function step(world: World, run: Run, rate: number): Promise<{ step: Step; deploys: Deploy[] }> {
  run.overlaps = 0;
  const rss = sampleRss(run.pipeline);
  const c0 = await counters(world, run.pipeline);
  const total = Math.max(2, Math.round(rate * STEP_SECONDS));
  const deploys = await run.drive(total, true, rate);
  await run.waitApplied(deploys, STEP_DRAIN_MS);
  await new Promise((r) => setTimeout(r, 600)); // pg_stat_database is flushed by the backends at most every 500 ms
  const c1 = await counters(world, run.pipeline);
  const peak = rss.stop();
  const sends = deploys.map((d) => d.sentAt!).sort((a, b) => a - b);
  // A build never applied (superseded in the queue, or still pending after the drain) counts as ∞.
  const latencies = deploys.map((d) => (d.appliedAt !== undefined && d.sentAt !== undefined ? d.appliedAt - d.sentAt : Infinity)).sort((a, b) => a - b);
  const accepted = deploys.filter((d) => d.acceptedAt !== undefined).map((d) => d.acceptedAt! - d.sentAt!).sort((a, b) => a - b);
  const perBuild = (a: number, b: number) => (b - a) / total;
  const byProcess: Record<string, number> = {};
  for (const k of Object.keys(c1.cpu)) byProcess[k] = perBuild(c0.cpu[k] ?? 0, c1.cpu[k]!) * 1000;
  const own = Object.keys(c1.cpu).reduce((sum, k) => sum + byProcess[k]!, 0);
  const infraParts = [...(run.pipeline.databaseUrl ? [PG_PART] : []), ...(run.pipeline.kafkaTopicPrefix ? ['kafka'] : []), 'kube-apiserver', 'etcd'];
  if (run.pipeline.databaseUrl) {
    let backendSeconds = 0;
    for (const [pid, seconds] of c1.db.backends) backendSeconds += seconds - (c0.db.backends.get(pid) ?? 0);
    byProcess[PG_PART] = (backendSeconds / total) * 1000;
  }
  for (const k of infraParts.filter((p) => p !== PG_PART)) byProcess[k] = perBuild(c0.infra[k]!, c1.infra[k]!) * 1000;
  const infra = infraParts.reduce((sum, k) => sum + byProcess[k]!, 0);
  return {
    deploys,
    step: {
      rate,
      sent: total,
      achievedRate: (total - 1) / ((sends.at(-1)! - sends[0]!) / 1000),
      applied: deploys.filter((d) => d.appliedAt !== undefined).length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      acceptedP99: percentile(accepted, 99),
      cpuMsPerBuild: { own, infra, byProcess },
      dbTransactionsPerBuild: perBuild(c0.db.transactions, c1.db.transactions),
      kubeRequestsPerBuild: perBuild(c0.kube, c1.kube),
      kafkaMessagesPerBuild: perBuild(c0.kafka, c1.kafka),
      peakRssMb: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, v / MB])),
      overlaps: run.overlaps,
      errors: deploys.filter((d) => d.error).length,
    },
  };
}

/**
 * What the pipeline costs with no build at all, over `seconds`: its database's transactions and
 * its processes' and PostgreSQL backends' CPU per second (the relays', projections' and sweeps'
 * polls; each build's share of it grows as the rate falls).
 */
async function idleCost(world: World, pipeline: Pipeline, seconds: number): Promise<string> {
  const c0 = await counters(world, pipeline);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c1 = await counters(world, pipeline);
  const perSecond = (a: number, b: number) => (b - a) / seconds;
  const byProcess = Object.keys(c1.cpu).map((k) => `${k} ${(perSecond(c0.cpu[k] ?? 0, c1.cpu[k]!) * 1000).toFixed(1)}`);
  let backendSeconds = 0;
  for (const [pid, cpu] of c1.db.backends) backendSeconds += cpu - (c0.db.backends.get(pid) ?? 0);
  return (
    `idle (no builds, ${seconds} s): PG xacts/s ${perSecond(c0.db.transactions, c1.db.transactions).toFixed(1)}, ` +
    `CPU ms/s ${byProcess.join(', ')}, ${PG_PART} ${((backendSeconds / seconds) * 1000).toFixed(1)}`
  );
}

/** The highest rate whose p99 ≤ 1 s (undefined: none). */
export function kneeOf(steps: readonly Step[]): number | undefined {
  const ok = steps.filter((s) => s.p99 <= KNEE_P99_MS).map((s) => s.rate);
  return ok.length ? Math.max(...ok) : undefined;
}

function stepLine(name: string, s: Step): string {
  const n = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  return (
    `  ${name.padEnd(10)} ${String(s.rate).padStart(4)}/s  sent ${String(s.sent).padStart(4)} (${n(s.achievedRate, 2)}/s)  applied ${String(s.applied).padStart(4)}  ` +
    `p50 ${fmtMs(s.p50)}  p99 ${fmtMs(s.p99)}  POST p99 ${fmtMs(s.acceptedP99)}  CPU ms/build own ${n(s.cpuMsPerBuild.own)} infra ${n(s.cpuMsPerBuild.infra)}  ` +
    `PG xacts/build ${n(s.dbTransactionsPerBuild)}  kube req/build ${n(s.kubeRequestsPerBuild)}  Kafka msgs/build ${n(s.kafkaMessagesPerBuild)}  ` +
    `queued ${s.overlaps}  errors ${s.errors}`
  );
}

function cpuBreakdown(name: string, s: Step): string {
  return `  ${name} at ${s.rate}/s, CPU ms per build: ${Object.entries(s.cpuMsPerBuild.byProcess)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ')}`;
}

/**
 * Steps every pipeline through RATES, side by side (at each rate one pipeline after the other),
 * a pipeline dropping out after two rates in a row over the knee's p99. `afterStep` sees each step.
 */
export async function stepRates(
  world: World,
  runs: readonly Run[],
  afterStep: (run: Run, s: Step, deploys: Deploy[]) => Promise<void> = async () => undefined,
): Promise<Map<Run, Step[]>> {
  const steps = new Map<Run, Step[]>(runs.map((r) => [r, []]));
  const misses = new Map<Run, number>(runs.map((r) => [r, 0]));
  for (const rate of RATES) {
    for (const run of runs) {
      if (misses.get(run)! >= 2) continue;
      const { step: s, deploys } = await step(world, run, rate);
      steps.get(run)!.push(s);
      misses.set(run, s.p99 <= KNEE_P99_MS ? 0 : misses.get(run)! + 1);
      process.stdout.write(`${stepLine(run.pipeline.name, s)}\n`);
      await afterStep(run, s, deploys);
    }
  }
  return steps;
}

/** Writes the curve (knee.json) and its picture (knee.svg) for the bench output; returns their paths. */
export function writeCurve(file: string, title: string, curves: ReadonlyArray<{ name: string; steps: readonly Step[] }>): string[] {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const json = join(OUTPUT_DIR, `${file}.json`);
  const svg = join(OUTPUT_DIR, `${file}.svg`);
  const at = new Date().toISOString();
  writeFileSync(
    json,
    `${JSON.stringify({ title, at, kneeP99Ms: KNEE_P99_MS, stepSeconds: STEP_SECONDS, configs: CONFIGS, cpus: cpus().length, curves: curves.map((c) => ({ name: c.name, knee: kneeOf(c.steps) ?? null, steps: c.steps })) }, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  const drawn: Curve[] = curves.map((c) => ({ name: c.name, knee: kneeOf(c.steps), points: c.steps.map((s) => ({ rate: s.rate, p50: s.p50, p99: s.p99 })) }));
  writeFileSync(svg, kneeChartSvg(`${title} (${at.slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores)`, drawn, KNEE_P99_MS));
  return [json, svg];
}

/** The floor as a child process beside Sluice: its own database on the same PostgreSQL, its own namespace. */
export async function startFloor(world: World, sourceNamespace: string): Promise<{ pipeline: Pipeline; stop: () => Promise<void> }> {
  const db: TestDatabase = await createTestDatabase('bench_e2e_floor');
  const namespace = await createTestNamespace(world.kube, 'bench-e2e-floor');
  const child: ChildProcess = fork(join(__dirname, 'support', 'floor-pipeline.ts'), [], {
    execArgv: ['--require', '@swc-node/register'],
    env: { ...process.env, FLOOR_SECRET: WEBHOOK_SECRET, FLOOR_DATABASE_URL: db.url, FLOOR_SOURCE_NAMESPACE: sourceNamespace, FLOOR_NAMESPACE: namespace },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`floor pipeline exited with ${code}`)));
  });
  const rssOf = (pid: number | undefined) => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  return {
    pipeline: {
      name: 'floor',
      webhookUrl: `http://127.0.0.1:${port}/webhooks/github`,
      namespace,
      sendsPush: false,
      rollsOut: false,
      cpu: () => ({ floor: cpuSeconds(child.pid) }),
      rss: () => ({ floor: rssOf(child.pid) }),
      databaseUrl: db.url,
    },
    stop: async () => {
      child.disconnect();
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      await world.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch(() => undefined);
      await db.drop();
    },
  };
}

function distributedPipeline(sluice: Distributed, namespace: string): Pipeline {
  return {
    name: 'sluice',
    webhookUrl: sluice.webhookUrl,
    namespace,
    sendsPush: true,
    rollsOut: true,
    cpu: () => Object.fromEntries(SERVICES.map((s) => [s, cpuSeconds(sluice.services[s].pid)])),
    rss: () => Object.fromEntries(SERVICES.map((s) => [s, sluice.services[s].rssBytes() ?? 0])),
    databaseUrl: sluice.db.url,
    kafkaTopicPrefix: sluice.topicPrefix,
  };
}

/** One deploy of every config (not measured), which also creates the objects; reports what was not applied. */
export async function warmUp(run: Run, rate: number): Promise<void> {
  const warm = await run.drive(CONFIGS, false, rate);
  await run.waitApplied(warm, 120_000);
  const missing = warm.filter((d) => d.appliedAt === undefined).length;
  if (missing > 0) process.stdout.write(`bench e2e: ${run.pipeline.name} warm-up: ${missing} of ${warm.length} deploys not applied within 120 s\n`);
  await new Promise((r) => setTimeout(r, 3_000)); // the warm-up rollouts end
}

/** Figures of a stepped run: the knee, p50 at 2 /s and CPU against the floor's, RSS at the knee. */
export function kneeFigures(label: string, steps: readonly Step[], floor: readonly Step[], rssTargetMb: number): Figure[] {
  const knee = kneeOf(steps);
  const floorKnee = kneeOf(floor);
  const at = (ss: readonly Step[], rate: number | undefined) => ss.find((s) => s.rate === rate);
  const two = at(steps, 2);
  const floorTwo = at(floor, 2);
  const kneeStep = at(steps, knee) ?? steps[0];
  const figures: Figure[] = [
    { name: `${label} knee (highest rate with p99 ≤ 1 s)`, value: knee ?? 0, unit: 'builds/s', baseline: { name: floorKnee === Math.max(...floor.map((s) => s.rate)) ? 'floor knee (the highest rate tried: a lower bound)' : 'floor knee', value: floorKnee ?? NaN }, ratioTarget: { op: '>=', value: 0.5 } },
  ];
  if (two && floorTwo) {
    figures.push(
      { name: `${label} p50 at 2/s`, value: two.p50, unit: 'ms', baseline: { name: 'floor p50 at 2/s', value: floorTwo.p50 }, ratioTarget: { op: '<=', value: 2 } },
      { name: `${label} p99 at 2/s`, value: two.p99, unit: 'ms', baseline: { name: 'floor p99 at 2/s', value: floorTwo.p99 } },
      { name: `${label} own CPU per build at 2/s`, value: two.cpuMsPerBuild.own, unit: 'ms', baseline: { name: 'infrastructure CPU per build', value: two.cpuMsPerBuild.infra }, ratioTarget: { op: '<=', value: 0.5 } },
      { name: `floor own CPU per build at 2/s`, value: floorTwo.cpuMsPerBuild.own, unit: 'ms', baseline: { name: 'infrastructure CPU per build', value: floorTwo.cpuMsPerBuild.infra } },
    );
  }
  if (kneeStep) {
    const where = `${kneeStep.rate}/s${knee === undefined ? ' (no knee: lowest rate)' : ' (knee)'}`;
    if (kneeStep !== two) {
      const cpu = kneeStep.cpuMsPerBuild;
      figures.push({ name: `${label} own CPU per build at ${where}`, value: cpu.own, unit: 'ms', baseline: { name: 'infrastructure CPU per build', value: cpu.infra }, ratioTarget: { op: '<=', value: 0.5 } });
    }
    for (const [p, mb] of Object.entries(kneeStep.peakRssMb)) figures.push({ name: `peak RSS ${p} at ${where}`, value: mb, unit: 'MB', target: { op: '<=', value: rssTargetMb } });
  }
  return figures;
}

/**
 * Sluice's configs discovered and warmed up (one deploy each), then the floor started from the
 * specs Sluice applied and warmed up the same way; both watched. What to stop goes into `stops`.
 */
export async function prepareSideBySide(world: World, sluice: SluiceUnderTest, pipeline: Pipeline, stops: Array<() => void | Promise<void>>): Promise<{ run: Run; floorRun: Run }> {
  const run = new Run(world, pipeline);
  stops.push(await run.watch());
  // Discovery: the config repository's default branch pushed once; every config registered.
  const pushed = await sendWebhook(sluice.webhookUrl, 'push', world.github.events.push(CONFIG_REPO, { branch: 'main' }));
  if (pushed.status !== 202) throw new Error(`config repository push: ${pushed.status}`);
  await waitForConfigs(new Api(sluice));
  await warmUp(run, WARM_UP_RATE);
  const floor = await startFloor(world, world.namespace);
  stops.push(floor.stop);
  const floorRun = new Run(world, floor.pipeline);
  stops.push(await floorRun.watch());
  await warmUp(floorRun, Math.max(WARM_UP_RATE, 20));
  return { run, floorRun };
}

export async function benchE2e(): Promise<boolean> {
  const buildMs = buildServices();
  const world = await startWorld('bench-e2e', { githubRequestsPerHour: GITHUB_REQUESTS_PER_HOUR });
  seedConfigs(world);
  const sluice = await startDistributed(world, {
    compiledDir: COMPILED_DIR,
    // kube-applier as shipped (the e2e harness shortens both for test speed): a resync every
    // 10 s re-applies every DeployConfig and queues new deploys behind that work.
    env: { 'kube-applier': { KUBE_APPLIER_RESYNC_SECONDS: '60', KUBE_APPLIER_HEALTH_POLL_SECONDS: '5' } },
  });
  const stops: Array<() => void | Promise<void>> = [];
  try {
    const { run, floorRun } = await prepareSideBySide(world, sluice, distributedPipeline(sluice, world.namespace), stops);

    const idle = await idleCost(world, run.pipeline, IDLE_SECONDS);
    const load0 = loadavg();
    const detail = new Map<number, { deploys: Deploy[]; histograms: string[] }>();
    let histograms0 = await serviceHistograms(sluice);
    process.stdout.write(`\nbench e2e: stepping ${RATES.join(', ')} builds/s, ${STEP_SECONDS} s each (drain ≤ ${STEP_DRAIN_MS / 1000} s), ${CONFIGS} configs:\n`);
    const steps = await stepRates(world, [run, floorRun], async (r, s, deploys) => {
      if (r !== run) return;
      const histograms1 = await serviceHistograms(sluice);
      detail.set(s.rate, { deploys, histograms: describeServiceHistograms(histograms0, histograms1) });
      histograms0 = histograms1;
    });
    const load1 = loadavg();
    const sluiceSteps = steps.get(run)!;
    const floorSteps = steps.get(floorRun)!;
    const knee = kneeOf(sluiceSteps);
    const files = writeCurve('knee', 'e2e: build webhook → DeployConfig applied, distributed vs floor', [
      { name: 'Sluice (distributed)', steps: sluiceSteps },
      { name: 'floor', steps: floorSteps },
    ]);

    // Where the time went at Sluice's knee (or its lowest rate): per stage and per consumer.
    const shown = detail.get(knee ?? sluiceSteps[0]!.rate)!;
    const toWall = Date.now() - performance.now();
    const sentWall = new Map(shown.deploys.filter((d) => d.deliveryId).map((d) => [d.deliveryId!, d.sentAt! + toWall]));
    const stageLines = await stages(sluice, shown.deploys, sentWall).catch((e: Error) => [`  (stages unavailable: ${e.message})`]);

    const met = report(`e2e (build webhook → DeployConfig applied; distributed, compiled services, ${CONFIGS} configs; floor = HMAC + one PG commit + the same SSA and status write)`, kneeFigures('Sluice', sluiceSteps, floorSteps, 200));
    const shownRate = knee ?? sluiceSteps[0]!.rate;
    process.stdout.write(
      [
        ...sluiceSteps.map((s) => cpuBreakdown('Sluice', s)),
        ...floorSteps.map((s) => cpuBreakdown('floor', s)),
        idle,
        `stages at ${shownRate}/s (time from the build webhook send to each service's event, by correlation id):`,
        ...stageLines,
        `consumers and controllers at ${shownRate}/s (services' /metrics: wait = broker timestamp → handler start):`,
        ...shown.histograms,
        `rollout patch errors: ${run.rolloutErrors}; load average (1/5/15 min): before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}`,
        `curve: ${files.join(', ')}; dist build ${buildMs} ms (not in the figures); logs in ${world.runDir}`,
        '',
      ].join('\n'),
    );
    return met;
  } finally {
    for (const stop of stops.reverse()) await stop();
    await sluice.stop();
    await world.stop();
  }
}
