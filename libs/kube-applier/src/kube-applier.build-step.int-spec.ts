import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { KubeClient, KubeObject } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace } from '@sluice/kube/testing';
import { buildRunName, DEPLOY_ID_LABEL, type BuildRunObject } from '@sluice/builds';
import { playNode, podOfBuildRun } from '@sluice/builds/testing';
import { TestRegistry } from '@sluice/image-registry/testing';
import { waitUntil } from '@sluice/testing';
import { InMemorySpecSource } from './adapters/spec-sources';
import { DEPLOY_ID_ANNOTATION } from './domain/deploy-config';
import { installCrd, outcomesOf, publish, request, sha, startKubeApplier, stepsOf, type Harness } from './testing/harness';

/**
 * Step build (docs/architecture.md §1 "Steps") on the real infrastructure: the registry of the test
 * infrastructure (token auth) says the deploy's tag is missing; the config's deploy.yaml has a
 * `build`, so kube-applier starts a BuildRun of the artifact commit (its Job made by the real Job
 * controller) and holds the deploy. No kubelet runs here: the test plays the builder — it pushes
 * the image to the registry and ends the build Pod — as the BuildRun controller's specs do.
 */
const C1 = sha('c');
const C2 = sha('d');
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\ndata: { mode: live }\n';
const BUILD = 'build:\n  image: ghcr.io/acme/builder:1\n  command: [make, image]\n  timeoutSeconds: 600\n';
const specs = new InMemorySpecSource()
  .put('acme/config', C1, [
    { path: 'deploy/web/deploy.yaml', content: `team: payments\nnamespace: payments\nartifact: { repo: acme/app, image: placeholder }\n${BUILD}` },
    { path: 'deploy/web/cm.yaml', content: CM },
  ])
  .put('acme/config', C2, [
    { path: 'deploy/web/deploy.yaml', content: 'team: payments\nnamespace: payments\nartifact: { repo: acme/app, image: placeholder }\n' },
    { path: 'deploy/web/cm.yaml', content: CM },
  ]);

type StepReport = { step: string; state: string; result: string | null; error: { reason: string; message: string } | null; childId: string | null };

describe('kube-applier builds a missing image before it deploys (step build)', { timeout: 240_000 }, () => {
  const registry = new TestRegistry();
  const repository = `acme/web-${randomBytes(4).toString('hex')}`;
  const image = `${registry.host}/${repository}`;
  let admin: KubeClient;
  let ns: string;
  let h: Harness;

  const stepReports = async (deployId: string): Promise<StepReport[]> =>
    (await h.store.readStream('applier-web')).filter((e) => e.type === 'deploy.step' && (e.data as { deployId: string }).deployId === deployId).map((e) => e.data as StepReport);
  const ended = async (deployId: string) => {
    await waitUntil(async () => (await outcomesOf(h.store, 'web', deployId)).some((o) => o.type === 'deploy.succeeded' || o.type === 'deploy.failed'), { timeoutMs: 90_000, message: 'the deploy ends' });
    return outcomesOf(h.store, 'web', deployId);
  };
  const building = async (deployId: string): Promise<StepReport> => {
    await waitUntil(async () => (await stepsOf(h.store, 'web', deployId)).includes('build:started'), { timeoutMs: 60_000, message: 'step build started' });
    return (await stepReports(deployId)).find((s) => s.step === 'build' && s.state === 'started')!;
  };
  /** The deploy's log as kube-applier appended it (the applier stream): steps as `<step>:<state>`, log lines as `log <source>: <text>`. */
  const deployLog = async (deployId: string): Promise<string[]> =>
    (await h.store.readStream('applier-web'))
      .filter((e) => (e.data as { deployId: string }).deployId === deployId)
      .flatMap((e) => {
        const d = e.data as { step?: string; state?: string; source?: string; lines?: Array<{ text: string }> };
        if (e.type === 'deploy.step') return [`${d.step}:${d.state}`];
        if (e.type === 'deploy.log') return d.lines!.map((l) => `log ${d.source}: ${l.text}`);
        return [e.type];
      });
  /** The build Job's Pod log in the deploy's log: this cluster has no kubelet, so one line says why it is not available. */
  const buildLogLine = (pod: KubeObject) => new RegExp(`^log job: the build Job's log is not available: Pod ${pod.metadata.name}: `);
  const deployOf = (artifactSha: string, configSha = C1) => publish(h.bus, request({ config: 'web', namespace: ns, artifactSha, configSha, artifactImage: image }));

  before(async () => {
    admin = adminClient();
    await installCrd(admin);
    ns = await createTestNamespace(admin, 'applier-build');
    h = await startKubeApplier({
      env: {
        KUBE_APPLIER_RESYNC_SECONDS: '1',
        KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.2',
        KUBE_APPLIER_IMAGE_CHECK: registry.host,
        SLUICE_REGISTRY_CREDENTIALS: JSON.stringify(registry.credentials),
      },
      module: { specSource: specs, kubeClient: admin, watchNamespace: ns },
    });
  });

  after(async () => {
    await h?.close();
    if (ns) await deleteTestNamespace(admin, ns);
  });

  it('a missing tag with a build: check-image says so, build starts a BuildRun (its child) and holds the deploy; the build pushes the image and succeeds → render, apply, healthy', async () => {
    const artifactSha = sha('1');
    const id = await deployOf(artifactSha);
    const build = await building(id);
    const run = buildRunName({ config: 'web', target: 'staging', commitSha: artifactSha, buildId: id });
    assert.equal(build.childId, run);
    const check = (await stepReports(id)).find((s) => s.step === 'check-image')!;
    assert.equal(check.state, 'done');
    assert.match(check.result!, new RegExp(`^${image.replace(/[.]/g, '\\.')}:main-1111111 is not in the registry.*: building it$`));

    // The BuildRun: the deploy's commit, tag and id; the deploy is held (started, nothing applied).
    const buildRun = await admin.get<BuildRunObject>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace: ns, name: run });
    assert.deepEqual([buildRun.spec.commitSha, buildRun.spec.ref, buildRun.spec.artifactImage, buildRun.spec.image, buildRun.metadata.labels?.[DEPLOY_ID_LABEL]], [artifactSha, 'main', `${image}:main-1111111`, 'ghcr.io/acme/builder:1', id]);
    assert.deepEqual((await outcomesOf(h.store, 'web', id)).map((o) => o.type), ['deploy.started']);
    const pod = await podOfBuildRun(admin, ns, run);
    assert.equal(await admin.find({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'web' }), undefined, 'nothing applied while the build runs');

    // The builder pushes the image, and its Pod ends well.
    const digest = await registry.pushImage(repository, 'main-1111111');
    await playNode(admin, pod, 'Running');
    await playNode(admin, pod, 'Succeeded');

    const outcomes = await ended(id);
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.log', 'deploy.applied', 'deploy.succeeded']);
    assert.deepEqual(await stepsOf(h.store, 'web', id), ['check-image:done', 'build:started', 'build:done', 'render:done', 'apply:started']);
    // The build Job's Pod log, once, just before the build step's result.
    const log = await deployLog(id);
    assert.deepEqual(log.slice(0, 4), ['check-image:done', 'build:started', 'deploy.started', log[3]]);
    assert.match(log[3]!, buildLogLine(pod));
    assert.equal(log[4], 'build:done');
    assert.equal(log.filter((l) => l.startsWith('log job: ')).length, 1);
    assert.equal(outcomes[1]!.data['source'], 'job');
    const done = (await stepReports(id)).find((s) => s.step === 'build' && s.state === 'done')!;
    assert.equal(done.childId, run);
    assert.equal(done.result, `${run} succeeded: ${image}:main-1111111 is ${digest}`);
    const cm = await admin.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'web' });
    assert.equal(cm.data['mode'], 'live');
    const dc = await admin.get<KubeObject & { spec: { imageTag: string } }>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, name: 'web' });
    assert.deepEqual([dc.metadata.annotations?.[DEPLOY_ID_ANNOTATION], dc.spec.imageTag], [id, 'main-1111111']);
  });

  it('a failing build fails the deploy at build with the build’s message; nothing is rendered or applied', async () => {
    const artifactSha = sha('2');
    const id = await deployOf(artifactSha);
    const build = await building(id);
    const pod = await podOfBuildRun(admin, ns, build.childId!);
    await playNode(admin, pod, 'Failed');
    const outcomes = await ended(id);
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.log', 'deploy.failed']);
    assert.equal(outcomes[2]!.data['reason'], 'BuildFailed');
    assert.match(outcomes[2]!.data['message'] as string, new RegExp(`^BuildRun ${build.childId} Failed: the build Job failed: `));
    assert.deepEqual(await stepsOf(h.store, 'web', id), ['check-image:done', 'build:started', 'build:failed']);
    // The build Job's Pod log, once, just before the build step's result.
    const log = await deployLog(id);
    assert.equal(log.length, 6);
    assert.deepEqual([log[0], log[1], log[2], log[4], log[5]], ['check-image:done', 'build:started', 'deploy.started', 'build:failed', 'deploy.failed']);
    assert.match(log[3]!, buildLogLine(pod));
    assert.equal(outcomes[1]!.data['source'], 'job');
    const failed = (await stepReports(id)).find((s) => s.step === 'build' && s.state === 'failed')!;
    assert.deepEqual([failed.childId, failed.error?.reason, failed.error?.message], [build.childId, 'BuildFailed', outcomes[2]!.data['message']]);
    const dc = await admin.get({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, name: 'web' });
    assert.notEqual(dc.metadata.annotations?.[DEPLOY_ID_ANNOTATION], id, 'the failed deploy wrote no DeployConfig');
  });

  it('a missing tag without a build fails at check-image, as before: no BuildRun', async () => {
    const id = await deployOf(sha('3'), C2);
    const outcomes = await ended(id);
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.failed']);
    assert.equal(outcomes[1]!.data['reason'], 'ImageNotFound');
    assert.deepEqual(await stepsOf(h.store, 'web', id), ['check-image:failed']);
    const runs = await admin.list<BuildRunObject>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace: ns }, { labelSelector: `${DEPLOY_ID_LABEL}=${id}` });
    assert.equal(runs.items.length, 0);
  });
});
