import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configFolderOf, parseDeployConfig } from './deploy-config';

const parse = (content: string, folder = 'deploy/billing-api') =>
  parseDeployConfig({ configRepo: 'acme/config', folder, content, defaultBranch: 'main' });

function errorsOf(result: ReturnType<typeof parse>) {
  assert.equal(result.ok, false);
  return result.ok ? [] : result.errors;
}

describe('parseDeployConfig', () => {
  it('reads the documented example with every field', () => {
    const result = parse(`
name: billing-api
team: payments
namespace: payments
artifact:
  repo: acme/billing
  image: ghcr.io/acme/billing
  build: ci
track:
  branch: release
autodeploy: true
`);
    assert.deepEqual(result, {
      ok: true,
      config: {
        name: 'billing-api',
        team: 'payments',
        namespace: 'payments',
        artifact: { repo: 'acme/billing', image: 'ghcr.io/acme/billing', build: 'ci' },
        track: { branch: 'release' },
        autodeploy: true,
        configRepo: 'acme/config',
        path: 'deploy/billing-api',
      },
    });
  });

  it("records a GitLab or Bitbucket config repository's provider, and nothing for GitHub's (its root as before)", () => {
    const content = 'team: payments\nnamespace: payments\nautodeploy: true\n';
    const at = (configRepoProvider?: 'github' | 'gitlab' | 'bitbucket') => {
      const result = parseDeployConfig({ configRepo: 'acme/config', configRepoProvider, folder: 'deploy/web', content, defaultBranch: 'main' });
      assert.ok(result.ok);
      return result.config;
    };
    assert.equal(at('gitlab').configRepoProvider, 'gitlab');
    assert.equal(at('bitbucket').configRepoProvider, 'bitbucket');
    assert.deepEqual(at('github'), at());
    assert.equal('configRepoProvider' in at('github'), false);
  });

  it('artifact.repo may be a GitLab subgroup path (group/sub/name) in a GitLab config repository only', () => {
    const content = 'team: payments\nnamespace: payments\nartifact:\n  repo: acme/platform/billing\n  image: registry.gitlab.com/acme/billing\n';
    const at = (configRepoProvider?: 'github' | 'gitlab' | 'bitbucket') => parseDeployConfig({ configRepo: 'acme/platform/config', configRepoProvider, folder: 'deploy/web', content, defaultBranch: 'main' });
    const gitlab = at('gitlab');
    assert.ok(gitlab.ok);
    assert.deepEqual([gitlab.config.artifact?.repo, gitlab.config.configRepo], ['acme/platform/billing', 'acme/platform/config']);
    assert.deepEqual(errorsOf(at()), [{ path: 'artifact.repo', message: "a github repository full name is owner/name (subgroup paths are GitLab's only)" }]);
    assert.deepEqual(errorsOf(at('bitbucket')), [{ path: 'artifact.repo', message: "a bitbucket repository full name is owner/name (subgroup paths are GitLab's only)" }]);
    const tooDeep = content.replace('acme/platform/billing', ['acme', ...Array.from({ length: 20 }, (_, i) => `s${i}`), 'billing'].join('/'));
    assert.equal(errorsOf(parseDeployConfig({ configRepo: 'acme/config', configRepoProvider: 'gitlab', folder: 'deploy/web', content: tooDeep, defaultBranch: 'main' }))[0]!.path, 'artifact.repo');
  });

  it('reads a builder and a tag pattern (docs/architecture.md §1 "Builds")', () => {
    const result = parse(`
team: payments
namespace: payments-prod
artifact:
  repo: acme/billing
  image: ghcr.io/acme/billing
track:
  tags: "v*"
build:
  image: gcr.io/kaniko-project/executor:v1.23.2
  command: [/kaniko/executor]
  args: ["--destination=$(SLUICE_IMAGE)"]
  env: { DOCKER_CONFIG: /kaniko/.docker }
  timeoutSeconds: 900
autodeploy: true
`);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.config.track, { branch: 'main', tags: 'v*' });
    assert.deepEqual(result.config.build, {
      image: 'gcr.io/kaniko-project/executor:v1.23.2',
      command: ['/kaniko/executor'],
      args: ['--destination=$(SLUICE_IMAGE)'],
      env: { DOCKER_CONFIG: '/kaniko/.docker' },
      timeoutSeconds: 900,
    });
  });

  it('refuses a builder without an artifact, a builder image without a tag, a timeout out of range and unknown builder fields', () => {
    const errors = errorsOf(parse('team: payments\nnamespace: payments\ntrack: { tags: "v*" }\nbuild: { image: ghcr.io/acme/builder, command: [make], timeoutSeconds: 5, cache: true }\n'));
    const paths = errors.map((e) => e.path).sort();
    assert.deepEqual(paths, ['build', 'build.image', 'build.timeoutSeconds']);
    const ok = errorsOf(parse('team: payments\nnamespace: payments\ntrack: { tags: "v*" }\nbuild: { image: ghcr.io/acme/builder:1, command: [make], timeoutSeconds: 60 }\n'));
    assert.deepEqual(ok.map((e) => e.path).sort(), ['build', 'track.tags']);
  });

  it('reads a GitOps target (docs/architecture.md §1 "GitOps target"), argocd optional', () => {
    const artifact = 'artifact: { repo: acme/billing, image: ghcr.io/acme/billing, build: ci }\n';
    const result = parse(`team: payments\nnamespace: payments\n${artifact}target:\n  gitops: { repo: acme/gitops, branch: main, path: apps/billing/values.yaml, key: image.tag, argocd: { app: billing } }\n`);
    assert.ok(result.ok);
    assert.deepEqual(result.ok && result.config.target, { gitops: { repo: 'acme/gitops', branch: 'main', path: 'apps/billing/values.yaml', key: 'image.tag', argocd: { app: 'billing' } } });
    const noArgo = parse(`team: payments\nnamespace: payments\n${artifact}target: { gitops: { repo: acme/gitops, branch: main, path: values.yml, key: tag } }\n`);
    assert.deepEqual(noArgo.ok && noArgo.config.target?.gitops.argocd, null);
  });

  it('refuses a GitOps target without an artifact, outside the repository, with a bad key or unknown fields', () => {
    const errors = errorsOf(parse('team: payments\nnamespace: payments\ntarget: { gitops: { repo: acme/gitops, branch: main, path: ../etc/values.yaml, key: "image..tag", argocd: { app: billing, server: x } } }\n'));
    assert.deepEqual(errors.map((e) => e.path).sort(), ['target.gitops.argocd', 'target.gitops.key', 'target.gitops.path']);
    const noArtifact = errorsOf(parse('team: payments\nnamespace: payments\ntarget: { gitops: { repo: acme/gitops, branch: main, path: values.yaml, key: image.tag } }\n'));
    assert.deepEqual(noArtifact.map((e) => e.path), ['target.gitops']);
  });

  it('reads previews (docs/architecture.md §1 "Previews"): ttl in minutes, hours or days; slots, ttl and namespace defaulted', () => {
    const base = 'team: payments\nnamespace: payments\nartifact: { repo: acme/billing, image: ghcr.io/acme/billing }\n';
    const full = parse(`${base}previews: { slots: 2, ttl: 90m, namespace: payments-pr, host: "pr-{pr}.billing.preview.example.com" }\n`);
    assert.deepEqual(full.ok && full.config.previews, { slots: 2, ttlSeconds: 5400, namespace: 'payments-pr', host: 'pr-{pr}.billing.preview.example.com' });
    const defaults = parse(`${base}previews: {}\n`);
    assert.deepEqual(defaults.ok && defaults.config.previews, { slots: 3, ttlSeconds: 48 * 3600, namespace: 'payments-preview', host: null });
    const none = parse(base);
    assert.equal(none.ok && 'previews' in none.config, false, 'absent unless declared');
  });

  it('refuses previews without an artifact, with a GitOps target, a bad ttl, a host without {pr} or too many slots', () => {
    assert.deepEqual(errorsOf(parse('team: payments\nnamespace: payments\npreviews: {}\n')).map((e) => e.path), ['previews']);
    const base = 'team: payments\nnamespace: payments\nartifact: { repo: acme/billing, image: ghcr.io/acme/billing }\n';
    const gitops = 'target: { gitops: { repo: acme/gitops, branch: main, path: values.yaml, key: image.tag } }\n';
    assert.match(errorsOf(parse(`${base}${gitops}previews: {}\n`))[0]!.message, /GitOps target/);
    assert.deepEqual(errorsOf(parse(`${base}previews: { ttl: 2w }\n`)).map((e) => e.path), ['previews.ttl']);
    assert.deepEqual(errorsOf(parse(`${base}previews: { host: preview.example.com }\n`)).map((e) => e.path), ['previews.host']);
    assert.deepEqual(errorsOf(parse(`${base}previews: { slots: 51 }\n`)).map((e) => e.path), ['previews.slots']);
    assert.deepEqual(errorsOf(parse(`${base}previews: { ttl: 31d }\n`)).map((e) => e.path), ['previews.ttl']);
  });

  it('applies the defaults: name = folder, track.branch = default branch, autodeploy false, no artifact', () => {
    const result = parse('team: payments\nnamespace: payments\n', 'deploy/worker');
    assert.ok(result.ok);
    assert.equal(result.config.name, 'worker');
    assert.deepEqual(result.config.track, { branch: 'main' });
    assert.equal(result.config.autodeploy, false);
    assert.equal(result.config.artifact, null);
  });

  it('names each missing or wrong field', () => {
    const errors = errorsOf(parse('namespace: Not_A_Label\nautodeploy: "yes"\nartifact:\n  repo: nope\n'));
    const paths = errors.map((e) => e.path).sort();
    assert.deepEqual(paths, ['artifact.image', 'artifact.repo', 'autodeploy', 'namespace', 'team']);
    assert.equal(errors.find((e) => e.path === 'team')!.message, 'required');
  });

  it('refuses a team name that is not a DNS label, naming the field and the rule', () => {
    for (const team of ['Pay!ments/../x', 'Payments', 'pay_ments', '-payments', 'a'.repeat(64)]) {
      const errors = errorsOf(parse(`team: "${team}"\nnamespace: payments\n`));
      assert.deepEqual(errors.map((e) => e.path), ['team'], team);
      assert.match(errors[0].message, /DNS label|63/, team);
    }
    assert.equal(parse('team: payments-eu\nnamespace: payments\n').ok, true);
  });

  it('refuses unknown fields (typos) instead of ignoring them', () => {
    const errors = errorsOf(parse('team: t\nnamespace: n\nautodeplooy: true\n'));
    assert.match(errors[0].message, /unknown field\(s\): autodeplooy/);
  });

  it('reports YAML syntax errors, duplicate keys, empty files and non-mappings', () => {
    assert.equal(errorsOf(parse('team: [unclosed\n'))[0].path, '(yaml)');
    assert.equal(errorsOf(parse('team: a\nteam: b\nnamespace: n\n'))[0].path, '(yaml)');
    assert.equal(errorsOf(parse(''))[0].path, '(file)');
    assert.equal(errorsOf(parse('- a\n- b\n'))[0].path, '(file)');
    assert.equal(errorsOf(parse('just a string'))[0].path, '(file)');
  });

  it('survives hostile input: alias bombs and oversized files are errors, not crashes', () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]'].join('\n');
    assert.equal(parse(bomb).ok, false);
    assert.equal(errorsOf(parse(`team: ${'x'.repeat(70_000)}\nnamespace: n\n`))[0].path, '(file)');
  });

  it('needs an explicit name when the folder is not a valid config name', () => {
    assert.equal(errorsOf(parse('team: t\nnamespace: n\n', 'deploy/Billing_API'))[0].path, 'name');
    assert.ok(parse('name: billing\nteam: t\nnamespace: n\n', 'deploy/Billing_API').ok);
  });

  it('an image with a tag is refused (the tag is Sluice’s to set)', () => {
    const errors = errorsOf(parse('team: t\nnamespace: n\nartifact:\n  repo: a/b\n  image: ghcr.io/a/b:latest\n'));
    assert.equal(errors[0].path, 'artifact.image');
  });

  it('reads a helm block (docs/architecture.md §1 "Helm and Kustomize"): a chart in the folder or in a chart repository', () => {
    const local = parse('team: t\nnamespace: n\nhelm:\n  chart: billing\n  path: chart\n  values: [values.yaml, values-prod.yaml]\n');
    assert.ok(local.ok, JSON.stringify(local));
    assert.deepEqual(local.config.helm, { chart: 'billing', path: 'chart', values: ['values.yaml', 'values-prod.yaml'] });
    const remote = parse('team: t\nnamespace: n\nhelm: { chart: redis, repo: "https://charts.example.com/stable", version: 1.4.2 }\n');
    assert.ok(remote.ok, JSON.stringify(remote));
    assert.deepEqual(remote.config.helm, { chart: 'redis', repo: 'https://charts.example.com/stable', version: '1.4.2' });
  });

  it('names each wrong field of a helm block', () => {
    const paths = (yaml: string) => errorsOf(parse(`team: t\nnamespace: n\nhelm:\n${yaml}`)).map((e) => e.path);
    assert.deepEqual(paths('  chart: a\n'), ['helm.path']);
    assert.deepEqual(paths('  chart: a\n  path: chart\n  repo: https://charts.example.com\n  version: "1"\n'), ['helm.repo']);
    assert.deepEqual(paths('  chart: a\n  repo: https://charts.example.com\n'), ['helm.version']);
    assert.deepEqual(paths('  chart: a\n  path: ../other\n'), ['helm.path']);
    assert.deepEqual(paths('  chart: a\n  path: /etc\n'), ['helm.path']);
    assert.deepEqual(paths('  chart: a\n  path: chart\n  values: [../secrets.yaml]\n'), ['helm.values.0']);
    assert.deepEqual(paths('  chart: a\n  path: chart\n  values: [values.json]\n'), ['helm.values.0']);
    assert.deepEqual(paths('  chart: a\n  repo: "ftp://charts.example.com"\n  version: "1"\n'), ['helm.repo']);
    assert.deepEqual(paths('  chart: a\n  repo: "https://user:pw@charts.example.com"\n  version: "1"\n'), ['helm.repo']);
    assert.deepEqual(paths('  chart: a\n  path: chart\n  release: x\n'), ['helm']);
    assert.deepEqual(paths('  chart: "a b"\n  path: chart\n'), ['helm.chart']);
  });
});

describe('configFolderOf', () => {
  it('recognises deploy/<name>/deploy.yaml only', () => {
    assert.equal(configFolderOf('deploy/api/deploy.yaml'), 'deploy/api');
    assert.equal(configFolderOf('deploy/api/deploy.yml'), 'deploy/api');
    assert.equal(configFolderOf('deploy/api/deployment.yaml'), null);
    assert.equal(configFolderOf('deploy/deploy.yaml'), null);
    assert.equal(configFolderOf('deploy/a/b/deploy.yaml'), null);
  });
});
