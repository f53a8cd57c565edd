import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkKustomizations, configSourceOf, firstYamlProblem } from './config-source';
import { RenderError } from './errors';
import { renderOutput } from './render';
import type { SpecFile } from './render';

const F = 'deploy/billing-api';
const files = (byPath: Record<string, string>): SpecFile[] => Object.entries(byPath).map(([path, content]) => ({ path: `${F}/${path}`, content }));
const messageOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RenderError);
    return error.message;
  }
  assert.fail('expected a RenderError');
};

describe('configSourceOf (docs/architecture.md §1 "Helm and Kustomize")', () => {
  it('plain specs, a kustomization file at the folder root, or a helm block in deploy.yaml', () => {
    assert.deepEqual(configSourceOf(F, files({ 'deploy.yaml': 'team: t\nnamespace: n\n', 'app.yaml': 'kind: A' })), { kind: 'plain' });
    for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
      assert.deepEqual(configSourceOf(F, files({ [name]: 'resources: []' })), { kind: 'kustomize', file: `${F}/${name}` });
    }
    // A kustomization of a subfolder (a base) alone does not make the folder a Kustomize config.
    assert.deepEqual(configSourceOf(F, files({ 'base/kustomization.yaml': 'resources: []', 'app.yaml': 'kind: A' })), { kind: 'plain' });
    assert.deepEqual(configSourceOf(F, files({ 'deploy.yaml': 'team: t\nhelm:\n  chart: billing\n  path: chart\n  values: [v.yaml]\n' })), {
      kind: 'helm',
      helm: { chart: 'billing', path: 'chart', values: ['v.yaml'] },
      file: `${F}/deploy.yaml`,
    });
  });

  it("a plain config's deploy.yaml is not parsed at all (render reads only what it needs)", () => {
    assert.deepEqual(configSourceOf(F, files({ 'deploy.yaml': 'team: [broken' })), { kind: 'plain' });
  });

  it('refuses a helm block that is not valid and a folder that is both, naming deploy.yaml', () => {
    assert.equal(messageOf(() => configSourceOf(F, files({ 'deploy.yaml': 'helm: { chart: billing }' }))), `${F}/deploy.yaml: helm.path: exactly one of path (a chart in the folder) and repo (a chart repository URL)`);
    assert.equal(messageOf(() => configSourceOf(F, files({ 'deploy.yaml': 'helm: { chart: billing, repo: "https://c.example.com" }' }))), `${F}/deploy.yaml: helm.version: required with repo: the chart version to render, pinned`);
    assert.match(messageOf(() => configSourceOf(F, files({ 'deploy.yaml': 'helm: { chart: billing, path: ../x }' }))), /helm\.path: a relative path inside the config's folder/);
    assert.match(messageOf(() => configSourceOf(F, files({ 'deploy.yaml': 'helm: { chart: b, path: c }', 'kustomization.yaml': '' }))), /with Kustomize or with Helm, not both/);
  });
});

describe('checkKustomizations', () => {
  it('accepts local resources, bases and components', () => {
    checkKustomizations(F, files({ 'kustomization.yaml': 'resources: [base, app.yaml]\ncomponents: [comp]\n', 'base/kustomization.yaml': 'resources: [../shared/d.yaml]\n', 'shared/d.yaml': '', 'comp/kustomization.yaml': '' }));
    // A local folder whose name looks like a host is local.
    checkKustomizations(F, files({ 'kustomization.yaml': 'resources: [example.com/a/b]\n', 'example.com/a/b/kustomization.yaml': '' }));
  });

  it('refuses what reaches the network, leaves the folder or inflates charts, naming the file', () => {
    const refuse = (kustomization: string) => messageOf(() => checkKustomizations(F, files({ 'overlay/kustomization.yaml': kustomization })));
    assert.equal(refuse('resources: ["https://raw.example.com/x.yaml"]'), `${F}/overlay/kustomization.yaml: resources: "https://raw.example.com/x.yaml" is remote; a config renders from its own folder at configSha only`);
    assert.match(refuse('resources: ["github.com/acme/base/deploy?ref=v1"]'), /is remote/);
    assert.match(refuse('bases: ["git@github.com:acme/base.git"]'), /bases: .* is remote/);
    assert.match(refuse('components: ["git::https://example.com/r.git"]'), /components: .* is remote/);
    assert.match(refuse('resources: ["../../other-config"]'), /resources: "..\/..\/other-config" is outside the config's folder deploy\/billing-api/);
    assert.match(refuse('helmCharts: [{ name: redis }]'), /helmCharts: .*helm block/);
  });

  it('names the line of a kustomization file that does not parse', () => {
    assert.match(messageOf(() => checkKustomizations(F, files({ 'kustomization.yaml': 'resources:\n  - a\n  b: [\n' }))), /^deploy\/billing-api\/kustomization\.yaml:3: YAML does not parse: /);
  });
});

describe('firstYamlProblem / renderOutput', () => {
  it('names the first YAML file of the folder that does not parse, with its line', () => {
    assert.equal(firstYamlProblem(F, files({ 'a.yaml': 'a: 1\n', 'b.properties': ': [', 'c.yml': 'a: 1\na: 2\n' }))?.source, `${F}/c.yml:2`);
    assert.equal(firstYamlProblem(F, files({ 'a.yaml': 'a: 1\n' })), undefined);
  });

  it("a renderer's output goes through the rules of plain specs, errors naming what rendered it", () => {
    const input = { config: 'billing-api', namespace: 'payments', folder: F, artifactImage: null, imageTag: null };
    const [cm] = renderOutput('---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n', `${F}/kustomization.yaml (kustomize build)`, input);
    assert.equal(cm.metadata.namespace, 'payments');
    assert.equal(cm.metadata.labels?.['sluice.dev/config'], 'billing-api');
    assert.match(messageOf(() => renderOutput('apiVersion: v1\nkind: Secret\nmetadata: { name: a, namespace: kube-system }\n', `${F}/deploy.yaml (helm template x)`, input)), /^deploy\/billing-api\/deploy\.yaml \(helm template x\): Secret "a": namespace "kube-system"/);
  });
});
