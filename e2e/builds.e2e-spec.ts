// Issue 19, builds as Kubernetes Jobs, end to end on the all-in-one app (`npm start`) against the
// real kube-apiserver with kube-controller-manager (Job controller, garbage collector) and the
// fake GitHub. No kubelet runs here: the test plays the node by patching the build Pod's status,
// and the Deployment controller by patching the Deployment's. The BuildRun admission webhook is
// served by the app over HTTPS and called by the API server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@sluice/testing';
import { KubeError, type KubeObject } from '@sluice/kube';
import type { BuildRunObject } from '@sluice/builds';
import { playNode, podOfBuildRun, registerBuildRunWebhook, selfSignedCertificate } from '@sluice/builds/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli';
import { Scenario, short, waitFor, type DeployView } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { ARTIFACT_REPO, CONFIG_NAME, CONFIG_REPO, IMAGE, deploymentYaml, newArtifactCommit, startWorld, type World } from './support/world';

const ZERO = '0'.repeat(40);

function buildingDeployYaml(namespace: string): string {
  return `team: payments
namespace: ${namespace}
artifact:
  repo: ${ARTIFACT_REPO}
  image: ${IMAGE}
track:
  branch: main        # staging: every push to main builds and deploys
  tags: "v*"          # production: a pushed v* tag builds and deploys
build:
  image: gcr.io/kaniko-project/executor:v1.23.2
  command: [/kaniko/executor]
  args: ["--destination=$(SLUICE_IMAGE)"]
  env: { CACHE: "off" }
  timeoutSeconds: 30
autodeploy: true
`;
}

describe('Builds as Jobs: push → BuildRun → Job → staging deploy; tag → production deploy', { timeout: 480_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let unregister: (() => Promise<void>) | undefined;

  before(async () => {
    world = await startWorld('builds');
    world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-api: Sluice builds the image',
      files: { 'deploy/billing-api/deploy.yaml': buildingDeployYaml(world.namespace), 'deploy/billing-api/deployment.yaml': deploymentYaml(CONFIG_NAME) },
    });
    const cert = selfSignedCertificate();
    const admissionPort = await freePort();
    sluice = await startAllInOneApp(world, {
      SLUICE_ADMISSION_TLS_CERT_FILE: cert.certFile,
      SLUICE_ADMISSION_TLS_KEY_FILE: cert.keyFile,
      SLUICE_ADMISSION_PORT: String(admissionPort),
      KUBE_APPLIER_RESYNC_SECONDS: '2',
    });
    unregister = await registerBuildRunWebhook(world.kube, { name: `sluice-buildruns-${world.namespace}`, port: admissionPort, caPem: cert.pem, namespace: world.namespace });
    scenario = await Scenario.discovered(world, sluice);
  });

  after(async () => {
    await unregister?.();
    await sluice?.stop();
    await world?.stop();
  });

  const kube = () => world.kube;
  const buildRunOf = async (commitSha: string): Promise<BuildRunObject> => {
    let runs: BuildRunObject[] = [];
    await waitFor(
      async () => {
        runs = (await kube().list<BuildRunObject>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace: world.namespace })).items;
        return runs.some((r) => r.spec.commitSha === commitSha);
      },
      () => `a BuildRun of ${short(commitSha)} (BuildRuns: ${runs.map((r) => `${r.metadata.name} ${r.status?.phase}`).join(', ') || 'none'})`,
    );
    return runs.find((r) => r.spec.commitSha === commitSha)!;
  };
  const phaseOf = async (name: string) => (await kube().get<BuildRunObject>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace: world.namespace, name })).status;
  const waitPhase = async (name: string, phase: string, timeoutMs = 90_000) => {
    let last: string | undefined;
    await waitFor(async () => (last = (await phaseOf(name))?.phase) === phase, () => `BuildRun ${name} ${phase} (last: ${last})`, timeoutMs);
    return phaseOf(name);
  };
  const podOf = (run: string) => podOfBuildRun(kube(), world.namespace, run);
  const node = (pod: KubeObject, phase: 'Running' | 'Succeeded') => playNode(kube(), pod, phase);
  const history = async () => scenario.api.history();
  const deploysOf = async (sha: string): Promise<DeployView[]> => (await scenario.api.deploys()).filter((d) => d.artifactSha === sha);

  it('a push to main builds <branch>-<sha7> in a Job and, once it succeeds, deploys it to staging', async () => {
    const sha = await scenario.pushArtifact('one');
    const run = await buildRunOf(sha);
    assert.deepEqual([run.spec.target, run.spec.ref, run.spec.artifactImage, run.metadata.ownerReferences?.[0]?.kind], ['staging', 'main', `${IMAGE}:main-${short(sha)}`, 'DeployConfig']);
    await waitPhase(run.metadata.name!, 'Scheduled');
    const job = await kube().get<KubeObject & { spec: { activeDeadlineSeconds: number; template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } } }>({
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: world.namespace,
      name: run.metadata.name!,
    });
    assert.equal(job.spec.activeDeadlineSeconds, 30);
    const env = Object.fromEntries(job.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    assert.deepEqual([env['SLUICE_IMAGE'], env['SLUICE_COMMIT_SHA'], env['CACHE']], [`${IMAGE}:main-${short(sha)}`, sha, 'off']);

    const pod = await podOf(run.metadata.name!);
    await node(pod, 'Running');
    await waitPhase(run.metadata.name!, 'Running');
    await node(pod, 'Succeeded');
    await waitPhase(run.metadata.name!, 'Succeeded');

    const deploy = await scenario.waitForDeployOf(sha);
    assert.deepEqual([deploy.imageTag, deploy.cause, deploy.configSha !== null], [`main-${short(sha)}`, 'autodeploy', true]);
    await scenario.waitForApplied(sha);
    await scenario.rollOut();
    await scenario.waitForPhase(deploy.id, 'succeeded');
    const types = (await history()).map((h) => h.type).reverse();
    const from = types.indexOf('build.requested');
    assert.deepEqual(types.slice(from, from + 5), ['build.requested', 'build.scheduled', 'build.started', 'build.finished', 'deploy.requested'], types.join(', '));
  });

  it('a second build for a busy target is refused by the webhook; a newer push supersedes it through Sluice; a timeout deploys nothing', async () => {
    const two = await scenario.pushArtifact('two');
    const running = await buildRunOf(two);
    await node(await podOf(running.metadata.name!), 'Running');
    await waitPhase(running.metadata.name!, 'Running');

    // A direct create, as kubectl would: the API server asks the webhook, which refuses it.
    const owner = await kube().get({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: world.namespace, name: CONFIG_NAME });
    const refused = await kube()
      .create({
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'BuildRun',
        metadata: { name: 'by-hand', namespace: world.namespace, ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', name: CONFIG_NAME, uid: owner.metadata.uid! }] },
        spec: { ...running.spec },
      } as KubeObject)
      .then(
        () => assert.fail('admitted'),
        (error: unknown) => error as KubeError,
      );
    assert.equal(refused.status, 403);
    assert.match(refused.message, new RegExp(`target staging of ${CONFIG_NAME} is busy: BuildRun ${running.metadata.name} \\(Running\\)`));

    // Through Sluice, a newer push supersedes the running build: Canceled, its Job deleted.
    const three = await scenario.pushArtifact('three');
    const newer = await buildRunOf(three);
    const canceled = await waitPhase(running.metadata.name!, 'Canceled');
    assert.match(canceled?.message ?? '', new RegExp(`superseded by ${newer.metadata.name}`));
    await waitFor(async () => (await kube().find({ apiVersion: 'batch/v1', kind: 'Job', namespace: world.namespace, name: running.metadata.name! })) === undefined, () => 'the canceled Job deleted');
    let current: string | undefined;
    await waitFor(
      async () => {
        const dc = await kube().get<KubeObject & { status?: { currentBuilds?: Record<string, string> } }>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: world.namespace, name: CONFIG_NAME });
        return (current = dc.status?.currentBuilds?.['staging']) === newer.metadata.name;
      },
      () => `DeployConfig.status.currentBuilds.staging = ${newer.metadata.name} (is ${current})`,
    );

    // The newer build runs past its 30 s: TimedOut, recorded, nothing deployed.
    await node(await podOf(newer.metadata.name!), 'Running');
    const timedOut = await waitPhase(newer.metadata.name!, 'TimedOut', 120_000);
    assert.equal(timedOut?.message, 'the build ran past its 30 s');
    await waitFor(
      async () => (await history()).some((h) => h.type === 'build.finished' && h.message === 'the build ran past its 30 s'),
      () => 'build.finished (TimedOut) in the history',
    );
    assert.deepEqual(await deploysOf(two), []);
    assert.deepEqual(await deploysOf(three), []);
    assert.ok((await history()).some((h) => h.type === 'build.finished' && /superseded by/.test(h.message ?? '')), 'the canceled build is in the history');
  });

  it('a pushed v* tag builds <tag>-<sha7> and deploys it (production); a redelivered tag push builds nothing more', async () => {
    const sha = newArtifactCommit(world, 'release');
    const tagPush = world.github.events.push(ARTIFACT_REPO, { tag: 'v1.0.0', before: ZERO, after: sha });
    await scenario.webhook('push', tagPush);
    const run = await buildRunOf(sha);
    assert.deepEqual([run.spec.target, run.spec.ref, run.spec.artifactImage], ['production', 'v1.0.0', `${IMAGE}:v1.0.0-${short(sha)}`]);
    await scenario.webhook('push', tagPush); // GitHub redelivers with a new delivery id: the same build
    const pod = await podOf(run.metadata.name!);
    await node(pod, 'Running');
    await node(pod, 'Succeeded');
    await waitPhase(run.metadata.name!, 'Succeeded');
    const deploy = await scenario.waitForDeployOf(sha);
    assert.equal(deploy.imageTag, `v1.0.0-${short(sha)}`);
    await waitFor(
      async () => {
        const deployment = await scenario.deployment();
        const image = (deployment?.['spec'] as { template: { spec: { containers: Array<{ image: string }> } } } | undefined)?.template.spec.containers[0]?.image;
        return image === `${IMAGE}:v1.0.0-${short(sha)}`;
      },
      () => `the Deployment runs ${IMAGE}:v1.0.0-${short(sha)}`,
    );
    const runs = (await kube().list<BuildRunObject>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace: world.namespace })).items.filter((r) => r.spec.commitSha === sha);
    assert.equal(runs.length, 1, 'one BuildRun for the tag');
  });

  it('lists the builds with their phases, newest first, in the API and the CLI', async () => {
    type Build = { target: string; imageTag: string; phase: string; message: string | null; buildRun: string | null };
    let builds: Build[] = [];
    await waitFor(
      async () => (builds = (await scenario.api.get<{ builds: Build[] }>(`/api/configs/${CONFIG_NAME}/builds`)).builds).length >= 4 && builds[0]!.phase === 'Succeeded',
      () => `four builds, the newest Succeeded (${JSON.stringify(builds.map((b) => [b.imageTag, b.phase]))})`,
    );
    assert.deepEqual(
      builds.map((b) => [b.target, b.phase]),
      [['production', 'Succeeded'], ['staging', 'TimedOut'], ['staging', 'Canceled'], ['staging', 'Succeeded']],
    );
    assert.match(builds[0]!.imageTag, /^v1\.0\.0-[0-9a-f]{7}$/);
    const home = mkdtempSync(join(tmpdir(), 'sluice-cli-builds-'));
    const cli = await runCli(['builds', CONFIG_NAME, '--json'], { home, url: sluice.urlFor('/api/configs'), env: { SLUICE_TOKEN: sluice.adminToken } });
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual((JSON.parse(cli.stdout) as { builds: Build[] }).builds.map((b) => b.phase), builds.map((b) => b.phase));
  });
});
