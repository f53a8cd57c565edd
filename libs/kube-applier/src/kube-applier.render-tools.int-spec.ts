import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KubeObject } from '@sluice/kube';
import { renderConfig } from './application/render-config';
import { RenderTools, renderToolBins } from './adapters/render-tools';
import { RenderError } from './domain/errors';
import type { RenderInput, SpecFile } from './domain/render';

/*
 * Helm and Kustomize configs (docs/architecture.md §1 "Helm and Kustomize") on the real, pinned
 * binaries (infra/render-tools.sh) and a chart repository served by this file on loopback.
 */

// The binaries the test setup built (infra/render-tools.sh path: helm, then kustomize).
const [helmBin, kustomizeBin] = execFileSync('bash', [join(__dirname, '../../../infra/render-tools.sh'), 'path'], { encoding: 'utf8' }).trim().split('\n');
const bins = renderToolBins({ KUBE_APPLIER_HELM_BIN: helmBin, KUBE_APPLIER_KUSTOMIZE_BIN: kustomizeBin });
const LIMITS = { timeoutMs: 30_000, maxBytes: 8 * 1024 * 1024 };
const input = (folder: string, extra: Partial<RenderInput> = {}): RenderInput => ({
  config: 'billing-api',
  namespace: 'payments',
  folder,
  artifactImage: 'ghcr.io/acme/billing',
  imageTag: 'main-1a2b3c4',
  ...extra,
});
const files = (folder: string, byPath: Record<string, string>): SpecFile[] => Object.entries(byPath).map(([path, content]) => ({ path: `${folder}/${path}`, content }));
const find = (objects: KubeObject[], kind: string) => objects.find((o) => o.kind === kind);
const containerImage = (o: KubeObject | undefined) => (o as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec.containers[0].image;

async function renderError(promise: Promise<unknown>): Promise<RenderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RenderError, `expected a RenderError, got ${(error as Error).stack}`);
    return error;
  }
  assert.fail('expected the render to fail');
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: billing-api }
spec:
  selector: { matchLabels: { app: billing-api } }
  template:
    metadata: { labels: { app: billing-api } }
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/billing
`;

const KUSTOMIZE_FOLDER = {
  'deploy.yaml': 'team: payments\nnamespace: payments\n',
  'kustomization.yaml': `resources:
  - base
namePrefix: prod-
configMapGenerator:
  - name: billing-settings
    files: [settings.properties]
images:
  - name: ghcr.io/acme/billing
    newTag: set-by-kustomize
`,
  'settings.properties': 'mode=live\n',
  'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
  'base/deployment.yaml': DEPLOYMENT,
};

const CHART = {
  'chart/Chart.yaml': 'apiVersion: v2\nname: billing\nversion: 0.3.0\n',
  'chart/values.yaml': 'replicas: 1\nmode: test\n',
  'chart/templates/_helpers.tpl': '{{- define "billing.labels" -}}\napp: {{ .Release.Name }}\n{{- end -}}\n',
  'chart/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {{- include "billing.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas }}
  selector: { matchLabels: { app: {{ .Release.Name }} } }
  template:
    metadata: { labels: { app: {{ .Release.Name }} } }
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/billing:{{ .Chart.Version }}
`,
  'chart/templates/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata: { name: {{ .Release.Name }}-settings, namespace: {{ .Release.Namespace }} }
data: { mode: {{ .Values.mode | quote }} }
`,
};

describe('Helm and Kustomize configs on the real tools', () => {
  const tools = new RenderTools(bins, LIMITS);
  let work: string;
  let server: Server;
  let repoHost: string;
  let served = 0;

  before(async () => {
    // Fail loudly: these tests exist to run the real binaries.
    for (const [tool, bin] of Object.entries(bins)) assert.ok(existsSync(bin), `${tool} is not installed (${bin}): run bash infra/render-tools.sh build`);
    work = await mkdtemp(join(tmpdir(), 'sluice-charts-'));
    // A chart repository: `helm package` + `helm repo index`, served by a static server on loopback.
    server = createServer((req, res) => {
      served++;
      const path = join(work, 'repo', decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      readFile(path).then(
        (body) => res.writeHead(200).end(body),
        () => res.writeHead(404).end('not found'),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    repoHost = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const chartDir = join(work, 'src', 'billing');
    for (const [path, content] of Object.entries(CHART)) {
      await mkdir(dirname(join(chartDir, path.slice('chart/'.length))), { recursive: true });
      await writeFile(join(chartDir, path.slice('chart/'.length)), content);
    }
    await mkdir(join(work, 'repo', 'stable'), { recursive: true });
    const helmEnv = { PATH: '', HOME: work, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') };
    execFileSync(bins.helm, ['package', chartDir, '--destination', join(work, 'repo', 'stable')], { env: helmEnv });
    execFileSync(bins.helm, ['repo', 'index', join(work, 'repo', 'stable'), '--url', `http://${repoHost}/stable`], { env: helmEnv });
    // A second repository whose index sends the archive to a host that is not allowed.
    await mkdir(join(work, 'repo', 'elsewhere'), { recursive: true });
    const index = await readFile(join(work, 'repo', 'stable', 'index.yaml'), 'utf8');
    await writeFile(join(work, 'repo', 'elsewhere', 'index.yaml'), index.replaceAll(`http://${repoHost}/stable`, 'http://169.254.169.254/latest'));
  });

  after(async () => {
    await new Promise((r) => server?.close(r));
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('(a) renders a kustomize overlay of a base: configMapGenerator, namePrefix, then the config rules and the build tag', async () => {
    const folder = 'deploy/billing-api';
    const objects = await renderConfig(tools, files(folder, KUSTOMIZE_FOLDER), input(folder));
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['ConfigMap/prod-billing-settings-' + find(objects, 'ConfigMap')!.metadata.name!.split('-').pop(), 'Deployment/prod-billing-api']);
    const cm = find(objects, 'ConfigMap')!;
    assert.match(cm.metadata.name!, /^prod-billing-settings-[a-z0-9]{10}$/, 'a generated name with its content hash');
    assert.deepEqual((cm as unknown as { data: Record<string, string> }).data, { 'settings.properties': 'mode=live\n' });
    for (const o of objects) {
      assert.equal(o.metadata.namespace, 'payments');
      assert.equal(o.metadata.labels?.['sluice.dev/config'], 'billing-api');
    }
    // kustomize's images: set a tag; Sluice's image tag rule is applied after it, as to plain specs.
    assert.equal(containerImage(find(objects, 'Deployment')), 'ghcr.io/acme/billing:main-1a2b3c4');
  });

  it('(b) renders a chart in the folder with its values files in order, as release <config> in the namespace', async () => {
    const folder = 'deploy/billing-api';
    const folderFiles = files(folder, {
      ...CHART,
      'deploy.yaml': 'team: payments\nnamespace: payments\nhelm:\n  chart: billing\n  path: chart\n  values: [values-common.yaml, values-prod.yaml]\n',
      'values-common.yaml': 'replicas: 2\nmode: common\n',
      'values-prod.yaml': 'mode: prod\n',
    });
    const objects = await renderConfig(tools, folderFiles, input(folder));
    const deployment = find(objects, 'Deployment')!;
    assert.equal(deployment.metadata.name, 'billing-api');
    assert.equal((deployment as unknown as { spec: { replicas: number } }).spec.replicas, 2);
    assert.equal(deployment.metadata.labels?.['app'], 'billing-api', 'a named template of the chart (_helpers.tpl)');
    assert.equal(containerImage(deployment), 'ghcr.io/acme/billing:main-1a2b3c4');
    const cm = find(objects, 'ConfigMap')!;
    assert.equal(cm.metadata.namespace, 'payments');
    assert.deepEqual((cm as unknown as { data: unknown }).data, { mode: 'prod' }, 'the last values file wins');
  });

  it('(c) renders a chart from an allowed chart repository at its pinned version; refuses a host not allowed, before any request', async () => {
    const folder = 'deploy/cache';
    const folderFiles = (repo: string, version = '0.3.0') => files(folder, { 'deploy.yaml': `team: payments\nnamespace: payments\nhelm: { chart: billing, repo: "${repo}", version: "${version}", values: [values.yaml] }\n`, 'values.yaml': 'mode: remote\n' });
    const allowed = new RenderTools(bins, LIMITS, [repoHost]);
    const objects = await renderConfig(allowed, folderFiles(`http://${repoHost}/stable`), input(folder, { config: 'cache' }));
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['ConfigMap/cache-settings', 'Deployment/cache']);
    assert.deepEqual((find(objects, 'ConfigMap') as unknown as { data: unknown }).data, { mode: 'remote' });

    const missing = await renderError(renderConfig(allowed, folderFiles(`http://${repoHost}/stable`, '9.9.9'), input(folder)));
    assert.equal(missing.reason, 'ChartUnavailable');
    assert.match(missing.message, /chart billing version 9\.9\.9 is not in http:\/\/127\.0\.0\.1:\d+\/stable\/index\.yaml/);

    const before = served;
    const refused = await renderError(renderConfig(new RenderTools(bins, LIMITS, ['charts.example.com']), folderFiles(`http://${repoHost}/stable`), input(folder)));
    assert.equal(refused.reason, 'ChartUnavailable');
    assert.match(refused.message, /host 127\.0\.0\.1:\d+ is not an allowed chart repository \(KUBE_APPLIER_HELM_REPOS: charts\.example\.com\)/);
    const none = await renderError(renderConfig(tools, folderFiles(`http://${repoHost}/stable`), input(folder)));
    assert.match(none.message, /KUBE_APPLIER_HELM_REPOS: none/);
    assert.equal(served, before, 'nothing was fetched from a host not allowed');

    // An allowed repository whose index names an archive on another host (the metadata address): refused.
    const elsewhere = await renderError(renderConfig(allowed, folderFiles(`http://${repoHost}/elsewhere`), input(folder)));
    assert.match(elsewhere.message, /the archive of chart billing 0\.3\.0 \(http:\/\/169\.254\.169\.254\/latest\/billing-0\.3\.0\.tgz\): host 169\.254\.169\.254 is not an allowed chart repository/);
  });

  it('(d) a broken template or kustomization fails the render naming the file and line in the repository', async () => {
    const folder = 'deploy/billing-api';
    const chart = { ...CHART, 'deploy.yaml': 'team: payments\nnamespace: payments\nhelm: { chart: billing, path: chart }\n' };
    const template = await renderError(
      renderConfig(tools, files(folder, { ...chart, 'chart/templates/configmap.yaml': CHART['chart/templates/configmap.yaml'] + 'extra: {{ .Values.mode | nope }}\n' }), input(folder)),
    );
    assert.equal(template.reason, 'RenderFailed');
    assert.match(template.message, /^helm: parse error at \(deploy\/billing-api\/chart\/templates\/configmap\.yaml:5\): function "nope" not defined$/);
    assert.doesNotMatch(template.message, /sluice-render-|\/tmp\//);

    const pinned = await renderError(renderConfig(tools, files(folder, { ...chart, 'deploy.yaml': 'team: payments\nnamespace: payments\nhelm: { chart: billing, path: chart, version: 0.4.0 }\n' }), input(folder)));
    assert.equal(pinned.message, 'deploy/billing-api/deploy.yaml: helm.version is "0.4.0" but deploy/billing-api/chart/Chart.yaml is version "0.3.0"');

    const values = await renderError(renderConfig(tools, files(folder, { ...chart, 'chart/values.yaml': 'replicas: [\n' }), input(folder)));
    assert.equal(values.reason, 'RenderFailed');
    assert.match(values.message, /deploy\/billing-api\/chart\/values\.yaml/);

    const kustomization = await renderError(renderConfig(tools, files(folder, { ...KUSTOMIZE_FOLDER, 'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n  oops: [\n' }), input(folder)));
    assert.equal(kustomization.message, 'deploy/billing-api/base/kustomization.yaml:3: YAML does not parse: ' + kustomization.message.split('YAML does not parse: ')[1]);

    const resource = await renderError(renderConfig(tools, files(folder, { ...KUSTOMIZE_FOLDER, 'base/deployment.yaml': DEPLOYMENT + '     bad: indent\n' }), input(folder)));
    assert.equal(resource.reason, 'RenderFailed');
    assert.match(resource.message, /^deploy\/billing-api\/base\/deployment\.yaml:12: YAML does not parse/);

    const missingFile = await renderError(renderConfig(tools, files(folder, { ...KUSTOMIZE_FOLDER, 'settings.properties': undefined as unknown as string }).filter((f) => f.content !== undefined), input(folder)));
    assert.match(missingFile.message, /^kustomize: .*deploy\/billing-api\/settings\.properties/);
    assert.doesNotMatch(missingFile.message, /sluice-render-/);

    const outside = await renderError(renderConfig(tools, files(folder, { ...KUSTOMIZE_FOLDER, 'kustomization.yaml': 'resources:\n  - ../other-config\n' }), input(folder)));
    assert.equal(outside.message, `deploy/billing-api/kustomization.yaml: resources: "../other-config" is outside the config's folder deploy/billing-api`);

    const remote = await renderError(renderConfig(tools, files(folder, { ...KUSTOMIZE_FOLDER, 'kustomization.yaml': 'resources:\n  - https://github.com/acme/base//deploy?ref=v1\n' }), input(folder)));
    assert.equal(remote.message, 'deploy/billing-api/kustomization.yaml: resources: "https://github.com/acme/base//deploy?ref=v1" is remote; a config renders from its own folder at configSha only');

    const notAllowed = await renderError(renderConfig(tools, files(folder, { ...KUSTOMIZE_FOLDER, 'base/deployment.yaml': DEPLOYMENT.replace('kind: Deployment', 'kind: ClusterRole').replace('apps/v1', 'rbac.authorization.k8s.io/v1') }), input(folder)));
    assert.equal(notAllowed.reason, 'ForbiddenKind', 'the rendered objects go through the same rules as plain specs');
  });

  it('(e) a render past the time limit or the size cap, or without its tool, is a clear error', async () => {
    const folder = 'deploy/billing-api';
    const slow = await renderError(renderConfig(new RenderTools(bins, { timeoutMs: 1, maxBytes: LIMITS.maxBytes }), files(folder, KUSTOMIZE_FOLDER), input(folder)));
    assert.equal(slow.reason, 'RenderLimitExceeded');
    assert.equal(slow.message, 'kustomize did not finish within 0.001s (KUBE_APPLIER_RENDER_TIMEOUT_SECONDS)');

    const chart = files(folder, { ...CHART, 'deploy.yaml': 'team: payments\nnamespace: payments\nhelm: { chart: billing, path: chart }\n' });
    const big = await renderError(renderConfig(new RenderTools(bins, { timeoutMs: LIMITS.timeoutMs, maxBytes: 200 }), chart, input(folder)));
    assert.equal(big.reason, 'RenderLimitExceeded');
    assert.equal(big.message, 'helm wrote more than 200 bytes (KUBE_APPLIER_RENDER_MAX_BYTES)');

    const bigArchive = await renderError(
      renderConfig(
        new RenderTools(bins, { timeoutMs: LIMITS.timeoutMs, maxBytes: 200 }, [repoHost]),
        files(folder, { 'deploy.yaml': `team: payments\nnamespace: payments\nhelm: { chart: billing, repo: "http://${repoHost}/stable", version: 0.3.0 }\n` }),
        input(folder),
      ),
    );
    assert.equal(bigArchive.reason, 'RenderLimitExceeded');
    assert.match(bigArchive.message, /more than 200 bytes \(KUBE_APPLIER_RENDER_MAX_BYTES\)/);

    // A binary named without a path is looked up on the PATH setting, and only there.
    const onPath = (PATH: string) => RenderTools.fromSettings({ KUBE_APPLIER_HELM_BIN: 'helm', KUBE_APPLIER_RENDER_TIMEOUT_SECONDS: 30, KUBE_APPLIER_RENDER_MAX_BYTES: LIMITS.maxBytes, PATH });
    assert.equal((await renderConfig(onPath(`/nowhere:${dirname(bins.helm)}`), chart, input(folder))).length, 2);
    assert.equal((await renderError(renderConfig(onPath('/nowhere'), chart, input(folder)))).message, 'helm was not found on PATH (KUBE_APPLIER_HELM_BIN; infra/render-tools.sh build installs it)');

    const absent = await renderError(renderConfig(new RenderTools({ helm: '/nowhere/helm', kustomize: bins.kustomize }, LIMITS), chart, input(folder)));
    assert.equal(absent.reason, 'RenderToolMissing');
    assert.equal(absent.message, 'helm is not installed at /nowhere/helm (KUBE_APPLIER_HELM_BIN; infra/render-tools.sh build installs it)');
  });
});
