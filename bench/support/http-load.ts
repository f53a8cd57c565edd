// A closed-loop HTTP load generator run in a worker thread, so the client does not share
// the measured server's event loop (on a real deployment the senders are elsewhere).
import { Agent, request } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { percentile, perSecond } from '../report';

export interface LoadRequest {
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface LoadPlan {
  readonly url: string;
  readonly total: number;
  readonly concurrency: number;
  /** Requests are taken round-robin; a header named `x-github-delivery` gets a fresh unique value per request. */
  readonly requests: readonly LoadRequest[];
}

export interface LoadResult {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: Record<number, number>;
}

async function run(plan: LoadPlan, onPhase: (phase: LoadPhase) => void): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const target = new URL(plan.url);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const { body, headers } = plan.requests[i % plan.requests.length];
      const withId = 'x-github-delivery' in headers ? { ...headers, 'x-github-delivery': `${runId}-${i}` } : headers;
      const started = process.hrtime.bigint();
      const req = request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...withId, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  onPhase('started');
  const t = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: plan.concurrency }, async () => {
      while (next < plan.total) await one(next++);
    }),
  );
  const rate = perSecond(plan.total, t);
  onPhase('finished');
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { perSecond: rate, p50: percentile(latencies, 50), p99: percentile(latencies, 99), statuses };
}

/** When the requests begin and end (after the worker's start-up, before its figures are worked out). */
export type LoadPhase = 'started' | 'finished';

/** Runs `plan` in a worker thread and resolves with its figures; `onPhase` is told when the requests begin and end. */
export function loadFromWorker(plan: LoadPlan, onPhase: (phase: LoadPhase) => void = () => undefined): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: plan });
    worker.on('message', (message: LoadResult | { phase: LoadPhase }) => ('phase' in message ? onPhase(message.phase) : resolve(message)));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  run(workerData as LoadPlan, (phase) => port.postMessage({ phase })).then(
    (result) => port.postMessage(result),
    (error) => {
      throw error;
    },
  );
}
