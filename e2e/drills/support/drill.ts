// The drills' harness (issue #23, "Drills"): their scale, child processes that a drill SIGKILLs and
// restarts, a paced producer, the effects table without a unique key and the checks made on it,
// and the figures each drill prints.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { EventStore, openServiceDataSource, type StreamAppend } from '@sluice/event-store';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';

/** `ci` (the default, run by `npm test`) or `full` (the numbers, `npm run drills`). */
export type DrillScale = 'ci' | 'full';

export function drillScale(): DrillScale {
  const scale = process.env.SLUICE_DRILL_SCALE ?? 'ci';
  if (scale !== 'ci' && scale !== 'full') throw new Error(`SLUICE_DRILL_SCALE must be ci or full, got ${scale}`);
  return scale;
}

/** The schema of the log the relay publishes, and the effects table every consumer writes. */
export const LOG_SCHEMA = 'drill_log';
export const EFFECTS = `${LOG_SCHEMA}.effects`;
/** Every delivery a consumer got (an unlogged table written outside the inbox transaction). */
export const DELIVERIES = `${LOG_SCHEMA}.deliveries`;

const STRIPPED = ['NODE_TEST_CONTEXT', 'NODE_OPTIONS'];

export function drillLogDir(drill: string): string {
  const dir = join(process.env.SLUICE_TEST_RUN_DIR ?? join(__dirname, '..', '..', '..', '.sluice-test', 'run'), 'drills', drill);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A child process (relay or consumer) that the drill may SIGKILL and start again; its output goes to a log file. */
export class DrillChild {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  kills = 0;
  starts = 0;
  /** Started and said so ('started' over IPC): a kill now lands on a working process. */
  ready = false;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the process; resolves once it said it started (its subscription or relay runs). */
  start(timeoutMs = 120_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !STRIPPED.includes(k)) env[k] = v;
    const fd = openSync(this.logFile, 'a');
    const child = fork(this.script, [], {
      env: { ...env, ...this.env },
      execArgv: ['--require', 'reflect-metadata', '--require', '@swc-node/register'],
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    closeSync(fd);
    this.child = child;
    this.ready = false;
    this.starts++;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) {
        this.child = null;
        this.ready = false;
      }
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start within ${timeoutMs} ms\n${this.logTail()}`)), timeoutMs);
      child.once('message', () => {
        clearTimeout(timer);
        if (this.child === child) this.ready = true;
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        // Killed by the drill before it said it started: that is a kill, not a failure.
        if (signal === 'SIGKILL') resolve();
        else reject(new Error(`${this.name} exited (${code ?? signal}) before it started\n${this.logTail()}`));
      });
    });
  }

  /** SIGKILL: no shutdown hook runs; whatever it was doing is cut mid-way. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
    this.kills++;
  }

  /** Ends it for good at the end of a drill (not counted as a kill). */
  async end(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  logTail(lines = 30): string {
    try {
      const all = readFileSync(this.logFile, 'utf8').trimEnd().split('\n');
      return `--- last lines of ${this.logFile} ---\n${all.slice(-lines).join('\n')}`;
    } catch {
      return `(no log at ${this.logFile})`;
    }
  }
}

const RELAY_SCRIPT = join(__dirname, 'relay-process.ts');
const CONSUMER_SCRIPT = join(__dirname, 'consumer-process.ts');

/** The processes of one drill: the log's relay and consumers, each logging to `<run dir>/drills/<drill>/<name>.log`. */
export class DrillProcesses {
  readonly all: DrillChild[] = [];
  private readonly logs: string;
  private readonly common: Record<string, string>;

  constructor(drill: string, db: DrillDatabase, brokers: readonly string[], topicPrefix: string) {
    this.logs = drillLogDir(drill);
    this.common = { DATABASE_URL: db.database.url, KAFKA_BROKERS: brokers.join(','), TOPIC_PREFIX: topicPrefix, LOG_LEVEL: 'warn' };
  }

  /** The outbox relay of the log (BATCH, PUBLISH_DELAY_MS in `env`). */
  relay(env: Record<string, string> = {}): DrillChild {
    return this.add(new DrillChild('relay', RELAY_SCRIPT, { ...this.common, SCHEMA: LOG_SCHEMA, ...env }, join(this.logs, 'relay.log')));
  }

  /** A consumer group in a process of its own, its inbox in `schema` (POISON in `env`). */
  consumer(name: string, schema: string, env: Record<string, string> = {}): DrillChild {
    const vars = { ...this.common, SCHEMA: schema, CONSUMER: name, EFFECTS, DELIVERIES, ...env };
    return this.add(new DrillChild(name, CONSUMER_SCRIPT, vars, join(this.logs, `${name}.log`)));
  }

  startAll(): Promise<void> {
    return Promise.all(this.all.map((c) => c.start())).then(() => undefined);
  }

  endAll(): Promise<void> {
    return Promise.all(this.all.map((c) => c.end())).then(() => undefined);
  }

  tails(lines: number): string {
    return this.all.map((c) => c.logTail(lines)).join('\n');
  }

  private add(child: DrillChild): DrillChild {
    this.all.push(child);
    return child;
  }
}

export interface DrillDatabase {
  readonly database: TestDatabase;
  readonly dataSource: DataSource;
  readonly store: EventStore;
  close(): Promise<void>;
}

/**
 * A database of its own: the log's schema (events, checkpoints), each consumer's schema (its
 * inbox), migrated here once so that the children never race on it, and the effects table: a
 * serial id (the order in which effects were applied) and no unique key on what was applied.
 */
export async function openDrillDatabase(prefix: string, consumerSchemas: readonly string[]): Promise<DrillDatabase> {
  const database = await createTestDatabase(prefix);
  for (const schema of consumerSchemas) await (await openServiceDataSource({ url: database.url, schema, poolSize: 1 })).destroy();
  const dataSource = await openServiceDataSource({ url: database.url, schema: LOG_SCHEMA, poolSize: 6 });
  await dataSource.query(`
    CREATE TABLE ${EFFECTS} (
      id         bigserial PRIMARY KEY,
      consumer   text NOT NULL,
      stream     text NOT NULL,
      seq        integer NOT NULL,
      event_id   uuid NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`);
  await dataSource.query(`CREATE UNLOGGED TABLE ${DELIVERIES} (consumer text NOT NULL, event_id uuid NOT NULL)`);
  return {
    database,
    dataSource,
    store: new EventStore(dataSource, LOG_SCHEMA),
    async close() {
      await dataSource.destroy();
      await database.drop();
    },
  };
}

/** A `deploy.started` (a real contract, so `consumeEvents` parses it as a service would) for stream `s`. */
function drillEvent(stream: string) {
  return { type: 'deploy.started', version: 1, data: { deployId: randomUUID(), config: stream } };
}

export interface ProducerOptions {
  readonly events: number;
  readonly streams: number;
  /** Events appended per second, in rounds of one event per stream. */
  readonly perSecond: number;
  /** Called before each round with the events appended so far; may wait (hold the producer back). */
  readonly beforeRound?: (appended: number) => Promise<void>;
}

export const streamName = (i: number) => `drill-${i}`;

/**
 * Appends `events` events round-robin over `streams` streams (each stream's version is its
 * sequence number: 1, 2, 3 …), several streams per statement, paced to `perSecond`.
 */
export async function produce(store: EventStore, options: ProducerOptions): Promise<void> {
  const started = Date.now();
  let appended = 0;
  let stream = 0;
  const batch = Math.max(1, Math.min(options.streams, Math.round(options.perSecond / 10)));
  while (appended < options.events) {
    await options.beforeRound?.(appended);
    const n = Math.min(batch, options.events - appended);
    const counts = new Map<number, number>();
    for (let k = 0; k < n; k++) {
      const s = (stream + k) % options.streams;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    stream = (stream + n) % options.streams;
    const appends: StreamAppend[] = [...counts].map(([s, count]) => ({
      stream: streamName(s),
      expectedVersion: 'any',
      events: Array.from({ length: count }, () => drillEvent(streamName(s))),
    }));
    await store.appendMany(appends);
    appended += n;
    const due = started + (appended / options.perSecond) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface EffectFigures {
  /** Effect rows in all. */
  readonly rows: number;
  /** (consumer, event) pairs applied more than once. */
  readonly duplicates: number;
  /** (consumer, event) pairs of the log never applied (the `excluded` events aside). */
  readonly missing: number;
  /** Effects applied after a later one of the same stream by the same consumer. */
  readonly outOfOrder: number;
  /** Messages handed to the consumers' handlers, and how many of them the inboxes skipped as seen before. */
  readonly deliveries: number;
  readonly redeliveries: number;
}

/** What the effects table says against the log: `excluded` are event ids no consumer may apply (a poison). */
export async function effectFigures(dataSource: DataSource, consumers: readonly string[], excluded: readonly string[] = []): Promise<EffectFigures> {
  const [{ rows }] = await dataSource.query(`SELECT count(*)::int AS rows FROM ${EFFECTS}`);
  const [{ duplicates }] = await dataSource.query(
    `SELECT count(*)::int AS duplicates FROM (SELECT consumer, event_id FROM ${EFFECTS} GROUP BY 1, 2 HAVING count(*) <> 1) d`,
  );
  const [{ missing }] = await dataSource.query(
    `SELECT count(*)::int AS missing
       FROM ${LOG_SCHEMA}.events e CROSS JOIN unnest($1::text[]) AS c(consumer)
      WHERE e.id <> ALL($2::uuid[])
        AND NOT EXISTS (SELECT 1 FROM ${EFFECTS} f WHERE f.event_id = e.id AND f.consumer = c.consumer)`,
    [consumers, excluded],
  );
  const [{ outOfOrder }] = await dataSource.query(
    `SELECT count(*)::int AS "outOfOrder" FROM (
       SELECT seq, lag(seq) OVER (PARTITION BY consumer, stream ORDER BY id) AS prev FROM ${EFFECTS}
     ) o WHERE prev IS NOT NULL AND seq <= prev`,
  );
  const [{ deliveries, seen }] = await dataSource.query(
    `SELECT count(*)::int AS deliveries, count(DISTINCT (consumer, event_id))::int AS seen FROM ${DELIVERIES}`,
  );
  return { rows, duplicates, missing, outOfOrder, deliveries, redeliveries: deliveries - seen };
}

/** Distinct events applied by the consumer that has applied the fewest. */
export async function leastApplied(dataSource: DataSource, consumers: readonly string[]): Promise<number> {
  const rows: Array<{ n: number }> = await dataSource.query(
    `SELECT (SELECT count(DISTINCT event_id) FROM ${EFFECTS} f WHERE f.consumer = c.consumer)::int AS n FROM unnest($1::text[]) AS c(consumer)`,
    [consumers],
  );
  return Math.min(...rows.map((r) => r.n));
}

/** Messages ever written to a topic (the sum of its partitions' high watermarks). */
export async function messagesIn(brokers: readonly string[], physicalTopic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'drill-admin', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(physicalTopic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Prints a drill's figures as a table (`# ` lines, as the other drills do) and keeps them as JSON beside the logs. */
export function printFigures(drill: string, figures: Record<string, string | number>): void {
  const rows = Object.entries(figures);
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`# ${drill} (SLUICE_DRILL_SCALE=${drillScale()})\n`);
  for (const [k, v] of rows) process.stdout.write(`#   ${k.padEnd(width)}  ${typeof v === 'number' ? v.toLocaleString('en-US') : v}\n`);
  writeFileSync(join(drillLogDir(drill), `figures-${drillScale()}.json`), `${JSON.stringify({ drill, scale: drillScale(), at: new Date().toISOString(), ...figures }, null, 2)}\n`);
}
