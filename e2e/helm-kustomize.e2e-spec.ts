// Issue 22, "Helm and Kustomize configs": through the all-in-one on the real kube-apiserver, with the
// pinned helm and kustomize (infra/render-tools.sh). A Kustomize config (an overlay of a base with a
// configMapGenerator) and a Helm config (a chart in its folder with a values file) are deployed by
// one green build: their objects are in the cluster with the build's image tag, and the manifests
// API shows what was rendered. A chart that does not render fails its deploy at step render, naming
// the file and line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '@sluice/kube';
import { CONFIG_NAME, CONFIG_REPO, imageOf, Scenario, tagOf, waitFor, type DeployView } from './support/scenario';
import { ROOT } from './support/process';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { deploymentYaml, deployYaml, IMAGE, startWorld, type World } from './support/world';

const CHART_CONFIG = 'billing-chart';

interface Step {
  name: string;
  state: string;
  result: string | null;
  error: { reason: string; message: string } | null;
}
interface Deploy extends DeployView {
  failure: { reason: string; message: string } | null;
  steps: Step[];
}
interface Manifests {
  deployId: string;
  configSha: string;
  imageTag: string;
  renderError: { reason: string; message: string } | null;
  manifests: KubeObject[];
}

const CONFIGMAP_TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  mode: {{ .Values.mode | quote }}
`;

describe('Helm and Kustomize configs through the all-in-one on a real API server', { timeout: 300_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let s: Scenario;

  const deploysOf = async (config: string) => (await s.api.get<{ deploys: Deploy[] }>(`/api/configs/${config}/deploys?limit=100`)).deploys;
  const deploy = async (id: string) => (await s.api.request<Deploy>('GET', `/api/deploys/${id}`)).body;
  const manifests = async (id: string) => (await s.api.request<Manifests>('GET', `/api/deploys/${id}/manifests`)).body;
  const find = (kind: string, name: string) => world.kube.find({ apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, namespace: world.namespace, name });
  const applied = async (name: string, tag: string) => {
    let last: string | undefined;
    await waitFor(async () => (last = imageOf(await find('Deployment', name))) === `${IMAGE}:${tag}`, () => `${name} runs ${IMAGE}:${tag} (last: ${last})`, 90_000);
  };

  before(async () => {
    // The pinned binaries, as the test setup built them; fail loudly when they are not there.
    const [helm, kustomize] = execFileSync('bash', [join(ROOT, 'infra/render-tools.sh'), 'path'], { encoding: 'utf8' }).trim().split('\n');
    for (const bin of [helm!, kustomize!]) assert.ok(existsSync(bin), `${bin} is missing: run bash infra/render-tools.sh build`);
    world = await startWorld('helm-kust');
    world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-api with Kustomize; billing-chart with Helm',
      files: {
        'deploy/billing-api/deployment.yaml': null,
        'deploy/billing-api/kustomization.yaml': 'resources:\n  - base\nconfigMapGenerator:\n  - name: billing-settings\n    files: [settings.properties]\nlabels:\n  - pairs: { tier: api }\n',
        'deploy/billing-api/settings.properties': 'mode=live\n',
        'deploy/billing-api/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
        'deploy/billing-api/base/deployment.yaml': deploymentYaml(CONFIG_NAME),
        [`deploy/${CHART_CONFIG}/deploy.yaml`]: deployYaml(world.namespace, 'helm:\n  chart: web\n  path: chart\n  values: [values-prod.yaml]\n'),
        [`deploy/${CHART_CONFIG}/values-prod.yaml`]: 'mode: prod\n',
        [`deploy/${CHART_CONFIG}/chart/Chart.yaml`]: 'apiVersion: v2\nname: web\nversion: 1.0.0\n',
        [`deploy/${CHART_CONFIG}/chart/values.yaml`]: `mode: default\nimage: ${IMAGE}:chart-default\n`,
        [`deploy/${CHART_CONFIG}/chart/templates/configmap.yaml`]: CONFIGMAP_TEMPLATE,
        [`deploy/${CHART_CONFIG}/chart/templates/deployment.yaml`]: deploymentYaml('{{ .Release.Name }}').replace(`${IMAGE}:latest`, '{{ .Values.image }}'),
      },
    });
    sluice = await startAllInOneApp(world, { KUBE_APPLIER_HELM_BIN: helm!, KUBE_APPLIER_KUSTOMIZE_BIN: kustomize! });
    s = await Scenario.discovered(world, sluice);
    await waitFor(async () => (await s.api.request('GET', `/api/configs/${CHART_CONFIG}`, undefined, [200, 404])).status === 200, () => `${CHART_CONFIG} discovered`);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  /** A green build of a new artifact commit: both configs apply its tag and are rolled out. */
  const buildBoth = async (label: string) => {
    const sha = await s.pushArtifact(label);
    await s.buildCompleted(sha);
    const tag = tagOf(sha);
    await applied(CONFIG_NAME, tag);
    await applied(CHART_CONFIG, tag);
    await s.rollOut(CONFIG_NAME);
    await s.rollOut(CHART_CONFIG);
    return { sha, tag };
  };

  it('one green build deploys both: objects in the cluster with its image tag, the rendered manifests in the API', async () => {
    const { sha, tag } = await buildBoth('v1');

    const kust = (await deploysOf(CONFIG_NAME)).find((d) => d.artifactSha === sha)!;
    const chart = (await deploysOf(CHART_CONFIG)).find((d) => d.artifactSha === sha)!;
    for (const d of [kust, chart]) await s.waitForPhase(d.id, 'succeeded');

    // Kustomize: the base's Deployment, labelled by the overlay, and the generated ConfigMap (its name carries a hash).
    const km = await manifests(kust.id);
    assert.equal(km.renderError, null);
    const generated = km.manifests.find((o) => o.kind === 'ConfigMap')!;
    assert.match(generated.metadata.name!, /^billing-settings-[a-z0-9]{10}$/);
    assert.deepEqual(generated['data'], { 'settings.properties': 'mode=live\n' });
    const kDeployment = km.manifests.find((o) => o.kind === 'Deployment')!;
    assert.equal(imageOf(kDeployment), `${IMAGE}:${tag}`);
    assert.equal(kDeployment.metadata.labels?.['tier'], 'api');
    const inCluster = await find('ConfigMap', generated.metadata.name!);
    assert.deepEqual(inCluster?.['data'], { 'settings.properties': 'mode=live\n' });
    assert.equal(inCluster?.metadata.labels?.['sluice.dev/config'], CONFIG_NAME);

    // Helm: release = the config's name, the values file of the folder over the chart's defaults.
    const hm = await manifests(chart.id);
    assert.deepEqual(hm.manifests.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [`ConfigMap/${CHART_CONFIG}-settings`, `Deployment/${CHART_CONFIG}`]);
    assert.equal(imageOf(hm.manifests.find((o) => o.kind === 'Deployment')), `${IMAGE}:${tag}`);
    assert.deepEqual((await find('ConfigMap', `${CHART_CONFIG}-settings`))?.['data'], { mode: 'prod' });

    const render = (await deploy(chart.id)).steps.find((x) => x.name === 'render')!;
    assert.deepEqual([render.state, render.result], ['done', '2 objects rendered']);
  });

  it('the next build diffs against the last: the rendered manifests of two deploys differ in the image tag only, for both configs', async () => {
    const { sha, tag } = await buildBoth('v2');
    for (const config of [CONFIG_NAME, CHART_CONFIG]) {
      const [latest, before] = (await deploysOf(config)).filter((d) => d.artifactSha !== null).slice(0, 2);
      assert.equal(latest!.artifactSha, sha, `${config}: the newest deploy is v2's`);
      await s.waitForPhase(latest!.id, 'succeeded');
      const [now, then] = [await manifests(latest!.id), await manifests(before!.id)];
      const text = (m: Manifests) => JSON.stringify(m.manifests, null, 1).split('\n');
      const removed = text(then).filter((l) => !text(now).includes(l));
      const added = text(now).filter((l) => !text(then).includes(l));
      assert.deepEqual(removed.map((l) => l.trim()), [`"image": "${imageOf(then.manifests.find((o) => o.kind === 'Deployment'))}"`], `${config}: removed`);
      assert.deepEqual(added.map((l) => l.trim()), [`"image": "${IMAGE}:${tag}"`], `${config}: added`);
    }
  });

  it('a chart that does not render fails the deploy at render, naming the file and line; nothing is applied', async () => {
    const broken = world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-chart: a template with an unknown function',
      files: { [`deploy/${CHART_CONFIG}/chart/templates/configmap.yaml`]: CONFIGMAP_TEMPLATE + '  extra: {{ .Values.mode | shout }}\n' },
    });
    await s.pushConfigRepo();
    const artifactSha = (await deploysOf(CHART_CONFIG))[0]!.artifactSha;
    let deployId: string | undefined;
    // The deploy of that commit: autodeploy's for the changed config, or this manual one once repo-sync knows the commit.
    await waitFor(
      async () => {
        const existing = (await deploysOf(CHART_CONFIG)).find((d) => d.configSha === broken);
        if (existing) return Boolean((deployId = existing.id));
        const res = await s.api.request<{ deployId: string }>('POST', '/api/deploys', { config: CHART_CONFIG, artifactSha, configSha: broken, reason: 'e2e: broken chart' }, [202, 409, 422]);
        if (res.status === 202) deployId = res.body.deployId;
        return deployId !== undefined;
      },
      () => `a deploy of ${CHART_CONFIG} at ${broken.slice(0, 7)}`,
    );
    let d: Deploy | undefined;
    await waitFor(async () => (d = await deploy(deployId!)).phase === 'failed', () => `deploy ${deployId} failed (last: ${JSON.stringify(d)})`, 90_000);
    assert.equal(d!.failure?.reason, 'RenderFailed');
    assert.deepEqual(d!.steps.map((x) => `${x.name}:${x.state}`).slice(1, 5), ['check-image:skipped', 'build:skipped', 'render:failed', 'apply:skipped']);
    const error = d!.steps.find((x) => x.name === 'render')!.error!;
    assert.equal(error.message, `helm: parse error at (deploy/${CHART_CONFIG}/chart/templates/configmap.yaml:7): function "shout" not defined`);
    const recorded = await manifests(deployId!);
    assert.deepEqual(recorded.renderError, { reason: 'RenderFailed', message: error.message });
    assert.deepEqual(recorded.manifests, []);
    // The cluster still runs what the last good deploy applied.
    assert.deepEqual((await find('ConfigMap', `${CHART_CONFIG}-settings`))?.['data'], { mode: 'prod' });
  });
});
