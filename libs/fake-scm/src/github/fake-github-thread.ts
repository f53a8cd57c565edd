// A fake GitHub of many repositories in a worker thread (the global-sync benchmark and
// e2e test): it stands in for a remote server, so its work must not run on the event loop
// that measures.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { FakeGitHub } from './fake-github';

export interface SyncFixture {
  readonly repos: number;
  readonly branches: number;
}

/** Marks this module's own worker: any other worker thread that loads the module runs nothing. */
interface ThreadData extends SyncFixture {
  readonly fakeGitHubThread: true;
}

/** `repos` repositories of `branches` branches each; every tenth has a deploy config. */
function seedSyncFixture(fake: FakeGitHub, { repos, branches }: SyncFixture): void {
  for (let r = 0; r < repos; r++) {
    const name = `acme/svc-${r}`;
    fake.seed.repo({ owner: 'acme', name: `svc-${r}` });
    const files: Record<string, string> = { 'README.md': name };
    if (r % 10 === 0) files[`deploy/svc-${r}/deploy.yaml`] = 'team: t\nnamespace: n\n';
    const root = fake.seed.commit(name, { message: 'init', files });
    fake.seed.status(name, root, { state: 'success', context: 'ci' });
    for (let b = 1; b < branches; b++) {
      fake.seed.branch(name, `feature-${b}`, root);
      fake.seed.commit(name, { message: `work ${b}`, files: { [`f${b}`]: String(b) }, branch: `feature-${b}` });
    }
  }
}

export interface FakeGitHubThread {
  readonly url: string;
  requestCount(): Promise<number>;
  stop(): Promise<void>;
}

export function startFakeGitHubThread(fixture: SyncFixture): Promise<FakeGitHubThread> {
  const worker = new Worker(__filename, { workerData: { ...fixture, fakeGitHubThread: true } satisfies ThreadData });
  const ask = <T>(what: string) =>
    new Promise<T>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(what);
    });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (url: string) =>
      resolve({
        url,
        requestCount: () => ask<number>('count'),
        stop: async () => {
          await ask('stop');
          await worker.terminate();
        },
      }),
    );
  });
}

if (!isMainThread && parentPort && (workerData as Partial<ThreadData> | null)?.fakeGitHubThread === true) {
  const port = parentPort;
  const fake = new FakeGitHub({ validateResponses: false, rateLimit: { limit: 10_000_000 } });
  void fake.start().then(() => {
    seedSyncFixture(fake, workerData as SyncFixture);
    port.on('message', (what: string) => {
      if (what === 'count') port.postMessage(fake.requests.length);
      if (what === 'stop') void fake.stop().then(() => port.postMessage('stopped'));
    });
    port.postMessage(fake.url);
  });
}
