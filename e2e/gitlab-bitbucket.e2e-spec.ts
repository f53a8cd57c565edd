// Issue 22, "GitLab and Bitbucket as sources": a config (in the GitHub config repository) whose
// artifact lives on GitLab, then on Bitbucket Cloud, autodeploys from those providers' webhooks —
// a push and a green pipeline (GitLab) or build status (Bitbucket), signed as each provider signs
// them — in the all-in-one on the real kube-apiserver; then config repositories on GitLab and on
// Bitbucket, discovered from their push webhooks and read through those providers' APIs (repo-sync
// and kube-applier), autodeploy an artifact of their own provider. Each deploy's status lands on
// the artifact commit in the provider's fake. Then a Bitbucket pull request delivery (12-character
// hashes) is accepted once webhook-ingest has looked its full hash up, and a Bitbucket config
// repository whose main branch is master, pushed without `mainbranch` in the payload, is discovered.
// Last, a GitLab config repository no webhook announced is found by global sync (`POST
// /api/admin/sync` lists GitHub's, GitLab's and Bitbucket's repositories) and its configs discovered.
// The fakes build the payloads from the providers' published examples and serve the repository
// and status APIs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BitbucketEventPayloads, bitbucketWebhookRequest, FakeBitbucket, FakeGitLab, GitLabEventPayloads, gitlabWebhookRequest } from '@sluice/fake-scm';
import { imageOf, Scenario, short, tagOf, waitFor, type DeployView } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { CONFIG_NAME, CONFIG_REPO, deployYaml, deploymentYaml, IMAGE, startWorld, type World } from './support/world';

const GITLAB_TOKEN = 'e2e-gitlab-webhook-token-0123';
const BITBUCKET_SECRET = 'e2e-bitbucket-webhook-secret-01';
const GITLAB_API_TOKEN = 'glpat-e2e-gitlab-api-token';
const BITBUCKET_API_TOKEN = 'bb-e2e-bitbucket-api-token';
const ORDERS = { id: 4501, path: 'acme/orders', defaultBranch: 'main' };
const PAYMENTS = { fullName: 'acme/payments', mainBranch: 'main' };
/** Config repositories on GitLab and Bitbucket, and the artifact repositories their configs build. */
const GITLAB_CONFIGS = { id: 4600, path: 'acme/gitlab-configs', defaultBranch: 'main' };
const INVENTORY = { id: 4502, path: 'acme/inventory', defaultBranch: 'main' };
const BITBUCKET_CONFIGS = { fullName: 'acme/bb-configs', mainBranch: 'main' };
const LEDGER = { fullName: 'acme/ledger', mainBranch: 'main' };
/** A Bitbucket config repository whose main branch is master, and whose webhooks do not say so (no `mainbranch`, as usual). */
const LEGACY_CONFIGS = { fullName: 'acme/bb-legacy-configs' };
/** A GitLab config repository only global sync finds (no webhook of it is sent). */
const SYNCED_CONFIGS = { id: 4700, path: 'acme/synced-configs', defaultBranch: 'main' };

describe('GitLab and Bitbucket repositories autodeploy (all-in-one)', { timeout: 400_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  const gitlab = new FakeGitLab({ tokens: [GITLAB_API_TOKEN] });
  const bitbucket = new FakeBitbucket({ tokens: [BITBUCKET_API_TOKEN] });

  before(async () => {
    world = await startWorld('providers');
    await Promise.all([gitlab.start(), bitbucket.start()]);
    for (const p of [ORDERS, GITLAB_CONFIGS, INVENTORY]) gitlab.seed.project(p);
    for (const r of [PAYMENTS, BITBUCKET_CONFIGS, LEDGER]) bitbucket.seed.repo({ workspace: 'acme', slug: r.fullName.split('/')[1]!, mainBranch: r.mainBranch });
    bitbucket.seed.repo({ workspace: 'acme', slug: 'bb-legacy-configs', mainBranch: 'master' });
    // commit-status's own GitRepos of GitLab and Bitbucket repositories read their tokens here (COMMIT_STATUS_GITLAB_SECRET, _BITBUCKET_SECRET).
    for (const [name, token] of [['sluice-gitlab', GITLAB_API_TOKEN], ['sluice-bitbucket', BITBUCKET_API_TOKEN]] as const) {
      await world.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: world.namespace }, type: 'Opaque', stringData: { token } });
    }
    sluice = await startAllInOneApp(world, {
      GITLAB_WEBHOOK_TOKEN: GITLAB_TOKEN,
      BITBUCKET_WEBHOOK_SECRET: BITBUCKET_SECRET,
      GITLAB_API_URL: `${gitlab.url}/api/v4`,
      GITLAB_TOKEN: GITLAB_API_TOKEN,
      BITBUCKET_API_URL: `${bitbucket.url}/2.0`,
      BITBUCKET_TOKEN: BITBUCKET_API_TOKEN,
    });
    scenario = new Scenario(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
    await Promise.all([gitlab.stop(), bitbucket.stop()]);
  });

  /** The config names `repo` as its artifact, built by `pipeline`; pushed to the config repository. */
  const artifactOn = async (repo: string) => {
    world.github.seed.commit(CONFIG_REPO, {
      message: `billing-api: artifact on ${repo}`,
      files: {
        'deploy/billing-api/deploy.yaml': deployYaml(world.namespace, '', { repo, image: IMAGE }).replace('build: ci', 'build: pipeline'),
        'deploy/billing-api/deployment.yaml': deploymentYaml(CONFIG_NAME),
      },
    });
    await scenario.pushConfigRepo();
    let last: unknown;
    await waitFor(
      async () => {
        const res = await scenario.api.request<{ artifact?: { repo: string } }>('GET', `/api/configs/${CONFIG_NAME}`, undefined, [200, 404]);
        last = res.body;
        return res.status === 200 && res.body.artifact?.repo === repo;
      },
      () => `config ${CONFIG_NAME} with its artifact on ${repo} (last: ${JSON.stringify(last)})`,
    );
  };

  const send = async (provider: 'gitlab' | 'bitbucket', req: { headers: Record<string, string>; body: string }) => {
    const res = await fetch(`${sluice.urlFor('/webhooks')}/webhooks/${provider}`, { method: 'POST', headers: req.headers, body: req.body });
    const body = (await res.json()) as { result?: string };
    assert.deepEqual([res.status, body.result], [202, 'accepted'], `${provider}: ${JSON.stringify(body)}`);
  };

  /** The autodeploy of `sha` by config `name`, applied (its Deployment runs the tag), rolled out and succeeded. */
  const deployed = async (sha: string, name = CONFIG_NAME) => {
    let deploys: DeployView[] = [];
    await waitFor(
      async () => {
        deploys = (await scenario.api.get<{ deploys: DeployView[] }>(`/api/configs/${name}/deploys?limit=100`)).deploys;
        return deploys.some((d) => d.artifactSha === sha);
      },
      () => `deploy of ${short(sha)} by ${name} (deploys: ${JSON.stringify(deploys.map((d) => [d.artifactSha?.slice(0, 7), d.phase]))})`,
    );
    const deploy = deploys.find((d) => d.artifactSha === sha)!;
    assert.equal(deploy.cause, 'autodeploy');
    assert.equal(deploy.imageTag, tagOf(sha));
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: world.namespace, name };
    let image: string | undefined;
    await waitFor(
      async () => (image = imageOf(await world.kube.find(ref))) === `${IMAGE}:${tagOf(sha)}`,
      () => `${name} runs ${IMAGE}:${tagOf(sha)} (last: ${image})`,
    );
    await scenario.rollOut(name);
    await scenario.waitForPhase(deploy.id, 'succeeded');
  };

  /** Sluice's own status of config `name` on the artifact commit, as the provider's fake holds it, reaches success. */
  const statusSucceeded = async (name: string, latest: () => { state: string } | undefined) =>
    waitFor(
      () => latest()?.state === 'success' || latest()?.state === 'SUCCESSFUL',
      () => `sluice/${name} success on the artifact commit (last: ${JSON.stringify(latest())})`,
      60_000,
    );
  const gitlabStatus = (project: number, sha: string, name: string) => () => {
    const s = gitlab.statuses(project, sha).filter((x) => x.name === `sluice/${name}`).at(-1);
    return s && { state: s.status };
  };
  const bitbucketStatus = (repo: string, sha: string, name: string) => () => bitbucket.statuses(repo, sha).filter((x) => x.name === `sluice/${name}`).at(-1);

  it('GitLab: a Push Hook and a successful Pipeline Hook of the artifact deploy its commit', async () => {
    await artifactOn(ORDERS.path);
    const sha = gitlab.seed.push(ORDERS.id, { branch: 'main', files: { VERSION: '1\n' }, message: 'orders: ship it' });
    const hooks = new GitLabEventPayloads();
    const push = hooks.push(ORDERS, { branch: 'main', before: '0'.repeat(40), after: sha, commits: [{ sha, message: 'orders: ship it' }] });
    await send('gitlab', gitlabWebhookRequest({ ...push, token: GITLAB_TOKEN }));
    const running = hooks.pipeline(ORDERS, { sha, status: 'running', name: 'pipeline', id: 77 });
    await send('gitlab', gitlabWebhookRequest({ ...running, token: GITLAB_TOKEN }));
    const passed = hooks.pipeline(ORDERS, { sha, status: 'success', name: 'pipeline', id: 77 });
    await send('gitlab', gitlabWebhookRequest({ ...passed, token: GITLAB_TOKEN }));
    await deployed(sha);
    await statusSucceeded(CONFIG_NAME, gitlabStatus(ORDERS.id, sha, CONFIG_NAME));
    process.stdout.write(`# gitlab: ${short(sha)} deployed\n`);
  });

  it('Bitbucket: a repo:push and a SUCCESSFUL build status of the artifact deploy its commit', async () => {
    await artifactOn(PAYMENTS.fullName);
    const sha = bitbucket.seed.push(PAYMENTS.fullName, { branch: 'main', files: { VERSION: '1\n' }, message: 'payments: ship it' });
    const hooks = new BitbucketEventPayloads();
    const push = hooks.push(PAYMENTS, { branch: 'main', before: null, after: { sha, message: 'payments: ship it' } });
    await send('bitbucket', bitbucketWebhookRequest({ ...push, secret: BITBUCKET_SECRET }));
    const status = hooks.commitStatus(PAYMENTS, { sha, key: 'ci-1', name: 'pipeline', state: 'SUCCESSFUL', refname: 'main' });
    await send('bitbucket', bitbucketWebhookRequest({ ...status, secret: BITBUCKET_SECRET }));
    await deployed(sha);
    await statusSucceeded(CONFIG_NAME, bitbucketStatus(PAYMENTS.fullName, sha, CONFIG_NAME));
  });

  /** A config folder `deploy/<name>/` whose artifact is `repo` (built by `pipeline`), deploying a Deployment `name`. */
  const configFiles = (name: string, repo: string) => ({
    [`deploy/${name}/deploy.yaml`]: deployYaml(world.namespace, '', { repo, image: IMAGE }).replace('build: ci', 'build: pipeline'),
    [`deploy/${name}/deployment.yaml`]: deploymentYaml(name),
  });
  const discovered = async (name: string, configRepo: string) => {
    let last: unknown;
    await waitFor(
      async () => {
        const res = await scenario.api.request<{ configRepo?: string }>('GET', `/api/configs/${name}`, undefined, [200, 404]);
        last = res.body;
        return res.status === 200 && res.body.configRepo === configRepo;
      },
      () => `config ${name} discovered in ${configRepo} (last: ${JSON.stringify(last)})`,
    );
  };

  it('GitLab config repository: discovered from its Push Hook, read through the GitLab API, its config autodeploys a GitLab artifact', async () => {
    const hooks = new GitLabEventPayloads();
    const configSha = gitlab.seed.push(GITLAB_CONFIGS.id, { branch: 'main', files: configFiles('inventory-api', INVENTORY.path), message: 'inventory-api: deploy config' });
    const configPush = hooks.push(GITLAB_CONFIGS, { branch: 'main', before: '0'.repeat(40), after: configSha, commits: [{ sha: configSha, message: 'inventory-api: deploy config' }] });
    await send('gitlab', gitlabWebhookRequest({ ...configPush, token: GITLAB_TOKEN }));
    await discovered('inventory-api', GITLAB_CONFIGS.path);
    const sha = gitlab.seed.push(INVENTORY.id, { branch: 'main', files: { VERSION: '1\n' }, message: 'inventory: ship it' });
    const push = hooks.push(INVENTORY, { branch: 'main', before: '0'.repeat(40), after: sha, commits: [{ sha, message: 'inventory: ship it' }] });
    await send('gitlab', gitlabWebhookRequest({ ...push, token: GITLAB_TOKEN }));
    const passed = hooks.pipeline(INVENTORY, { sha, status: 'success', name: 'pipeline', id: 91 });
    await send('gitlab', gitlabWebhookRequest({ ...passed, token: GITLAB_TOKEN }));
    // kube-applier read deploy/inventory-api at the GitLab config commit: the Deployment it applies is that folder's.
    await deployed(sha, 'inventory-api');
    await statusSucceeded('inventory-api', gitlabStatus(INVENTORY.id, sha, 'inventory-api'));
    process.stdout.write(`# gitlab config repository: ${short(sha)} deployed by inventory-api (config ${short(configSha)})\n`);
  });

  it('Bitbucket config repository: discovered from its repo:push, read through the Bitbucket API, its config autodeploys a Bitbucket artifact', async () => {
    const hooks = new BitbucketEventPayloads();
    const configSha = bitbucket.seed.push(BITBUCKET_CONFIGS.fullName, { branch: 'main', files: configFiles('ledger-api', LEDGER.fullName), message: 'ledger-api: deploy config' });
    const configPush = hooks.push(BITBUCKET_CONFIGS, { branch: 'main', before: null, after: { sha: configSha, message: 'ledger-api: deploy config' } });
    await send('bitbucket', bitbucketWebhookRequest({ ...configPush, secret: BITBUCKET_SECRET }));
    await discovered('ledger-api', BITBUCKET_CONFIGS.fullName);
    const sha = bitbucket.seed.push(LEDGER.fullName, { branch: 'main', files: { VERSION: '1\n' }, message: 'ledger: ship it' });
    const push = hooks.push(LEDGER, { branch: 'main', before: null, after: { sha, message: 'ledger: ship it' } });
    await send('bitbucket', bitbucketWebhookRequest({ ...push, secret: BITBUCKET_SECRET }));
    const status = hooks.commitStatus(LEDGER, { sha, key: 'ci-9', name: 'pipeline', state: 'SUCCESSFUL', refname: 'main' });
    await send('bitbucket', bitbucketWebhookRequest({ ...status, secret: BITBUCKET_SECRET }));
    await deployed(sha, 'ledger-api');
    await statusSucceeded('ledger-api', bitbucketStatus(LEDGER.fullName, sha, 'ledger-api'));
    process.stdout.write(`# bitbucket config repository: ${short(sha)} deployed by ledger-api (config ${short(configSha)})\n`);
  });

  it('Bitbucket pull request: its 12-character source hash is looked up on the Bitbucket API and the delivery accepted', async () => {
    const head = bitbucket.seed.push(LEDGER.fullName, { branch: 'feature/pr', files: { VERSION: '2\n' }, message: 'ledger: a change for review' });
    const pr = new BitbucketEventPayloads().pullRequest(LEDGER, { id: 5, event: 'pullrequest:created', sourceBranch: 'feature/pr', headSha: head, baseSha: head });
    const req = bitbucketWebhookRequest({ ...pr, secret: BITBUCKET_SECRET });
    assert.match(req.body, new RegExp(`"hash":"${head.slice(0, 12)}"`));
    bitbucket.clearRequests();
    await send('bitbucket', req);
    assert.ok(bitbucket.requests.some((r) => r.path === `/2.0/repositories/${LEDGER.fullName}/commit/${head.slice(0, 12)}` && r.status === 200), 'webhook-ingest asked Bitbucket for the full hash');
  });

  it('Bitbucket config repository whose main branch is master (webhooks without mainbranch): a push to master discovers its configs', async () => {
    const configSha = bitbucket.seed.push(LEGACY_CONFIGS.fullName, { branch: 'master', files: configFiles('legacy-api', LEDGER.fullName), message: 'legacy-api: deploy config' });
    const push = new BitbucketEventPayloads().push(LEGACY_CONFIGS, { branch: 'master', before: null, after: { sha: configSha, message: 'legacy-api: deploy config' } });
    assert.doesNotMatch(JSON.stringify(push.payload.repository), /mainbranch/);
    await send('bitbucket', bitbucketWebhookRequest({ ...push, secret: BITBUCKET_SECRET }));
    await discovered('legacy-api', LEGACY_CONFIGS.fullName);
    process.stdout.write(`# bitbucket master config repository: legacy-api discovered at ${short(configSha)}\n`);
  });

  it('global sync: a GitLab config repository no webhook announced is listed through the GitLab API and its configs discovered', async () => {
    gitlab.seed.project(SYNCED_CONFIGS);
    // Its artifact repository exists nowhere yet: the config is discovered, nothing deploys.
    const configSha = gitlab.seed.push(SYNCED_CONFIGS.id, { branch: 'main', files: configFiles('synced-api', 'acme/synced-artifact'), message: 'synced-api: deploy config' });
    const { syncId } = await scenario.api.post<{ syncId: string }>('/api/admin/sync');
    let progress: { state: string; repos: { done: number; total: number | null }; errors: unknown[] } | undefined;
    await waitFor(
      async () => (progress = await scenario.api.get<NonNullable<typeof progress>>(`/api/admin/sync/${syncId}`)).state !== 'running',
      () => `global sync ${syncId} ended (last: ${JSON.stringify(progress)})`,
      120_000,
    );
    assert.equal(progress!.state, 'completed');
    assert.deepEqual(progress!.errors, []);
    // GitHub's repositories, GitLab's 4 projects and Bitbucket's 4 repositories, all read.
    assert.equal(progress!.repos.done, progress!.repos.total);
    assert.ok(progress!.repos.total! >= 8, `repositories listed: ${progress!.repos.total}`);
    await discovered('synced-api', SYNCED_CONFIGS.path);
    const catalogue = await scenario.api.get<{ configs: Array<{ name: string; configSha: string }> }>(`/api/repos/${SYNCED_CONFIGS.path}/configs`);
    assert.deepEqual(catalogue.configs.map((c) => [c.name, c.configSha]), [['synced-api', configSha]]);
    process.stdout.write(`# global sync: synced-api discovered in ${SYNCED_CONFIGS.path} at ${short(configSha)}\n`);
  });
});
