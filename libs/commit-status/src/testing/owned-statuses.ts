import { randomBytes } from 'node:crypto';
import { Topics, type EventData } from '@sluice/contracts';
import { FakeGitHub } from '@sluice/fake-scm';
import { KubeClient, loadKubeConfig } from '@sluice/kube';
import { gitRepoNameFor } from '../domain/naming';
import { API_VERSION, type CommitStatusObject } from '../adapters/kube/kube-store';
import { envelope, startCommitStatus, type App } from './app';
import { applyDeployManifests, grantSecrets, requireKubeconfig, serviceAccountClient, SYSTEM_NS } from './kube';

/** Test-only: the service on the real kube-apiserver reporting one config's deploys on fake GitHub. */
export interface OwnedStatusesFixture {
  readonly admin: KubeClient;
  readonly gh: FakeGitHub;
  readonly svc: App;
  /** `acme/<name>-<run>`, the artifact repository (commits seeded in it). */
  readonly repo: string;
  /** `<name>-<run>`, the config; its CommitStatus is `sluice-<config>`. */
  readonly config: string;
  readonly commits: readonly string[];
  /** The Secret (key `token`) Sluice's GitRepos reference. */
  readonly secretName: string;
  /** The config's CommitStatus as the API server has it. */
  resource(): Promise<CommitStatusObject | undefined>;
  /** The `sluice/<config>` statuses GitHub holds for a commit, oldest first. */
  statuses(sha: string): ReturnType<FakeGitHub['statuses']>;
  /** A deploy event of the config's stream (`config-<config>`) on the bus. */
  publish(type: Parameters<typeof envelope>[0], data: Parameters<typeof envelope>[2]): Promise<void>;
  /** An autodeploy request of the config for an artifact commit. */
  requested(deployId: string, sha: string): EventData<'deploy.requested'>;
  close(): Promise<void>;
}

/**
 * Seeds `acme/<name>-<run>` with `commits` commits on a fake GitHub, a token Secret granted to
 * the service account, and starts commit-status with the Kubernetes store under that account
 * (through `kubeClient`, when a test wraps it), watching only this run's resources.
 */
export async function startOwnedStatuses(opts: { name: string; commits: number; kubeClient?: (serviceAccount: KubeClient) => KubeClient }): Promise<OwnedStatusesFixture> {
  const run = randomBytes(4).toString('hex');
  const labels = { 'sluice.dev/test-run': run };
  const repoName = `${opts.name}-${run}`;
  const repo = `acme/${repoName}`;
  const config = `${opts.name}-${run}`;
  const secretName = `cs-${opts.name}-${run}`;
  const token = `ghp_kube_${opts.name}`;
  const admin = new KubeClient(loadKubeConfig({ from: 'file', path: requireKubeconfig() }));
  await applyDeployManifests(admin);
  const gh = new FakeGitHub({ tokens: [token] });
  await gh.start();
  gh.seed.repo({ owner: 'acme', name: repoName });
  const commits = Array.from({ length: opts.commits }, (_, i) => gh.seed.commit(repo, { message: `c${i}`, files: { 'f.txt': String(i) } }));
  let svc: App;
  try {
    await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: SYSTEM_NS, labels }, stringData: { token } });
    await grantSecrets(admin, [secretName]);
    const serviceAccount = await serviceAccountClient(admin);
    svc = await startCommitStatus(
      {
        COMMIT_STATUS_STORE: 'kubernetes',
        COMMIT_STATUS_NAMESPACE: SYSTEM_NS,
        COMMIT_STATUS_WATCH_NAMESPACE: SYSTEM_NS,
        COMMIT_STATUS_GITHUB_SECRET: secretName,
        GITHUB_API_URL: gh.url,
        SLUICE_PUBLIC_URL: 'https://sluice.example',
      },
      { kubeClient: opts.kubeClient ? opts.kubeClient(serviceAccount) : serviceAccount, labels },
    );
  } catch (err) {
    await admin.delete({ apiVersion: 'v1', kind: 'Secret', namespace: SYSTEM_NS, name: secretName });
    await gh.stop();
    throw err;
  }
  return {
    admin,
    gh,
    svc,
    repo,
    config,
    commits,
    secretName,
    resource: () => admin.find<CommitStatusObject>({ apiVersion: API_VERSION, kind: 'CommitStatus', namespace: SYSTEM_NS, name: `sluice-${config}` }),
    statuses: (sha) => gh.statuses(repo, sha).filter((s) => s.context === `sluice/${config}`),
    publish: (type, data) => svc.bus.publish(Topics.deploy, [envelope(type, `config-${config}`, data)]),
    requested: (deployId, sha) => ({
      deployId,
      config,
      team: 'payments',
      namespace: 'payments',
      configRepo: 'acme/deploy',
      path: `deploy/${config}`,
      artifactRepo: repo,
      artifactImage: `ghcr.io/${repo}`,
      artifactSha: sha,
      configSha: 'c'.repeat(40),
      imageTag: `main-${sha.slice(0, 7)}`,
      cause: 'autodeploy',
      requestedBy: 'autodeploy',
      reason: 'build',
      reappliedFrom: null,
    }),
    async close() {
      await svc.close();
      await admin.delete({ apiVersion: API_VERSION, kind: 'CommitStatus', namespace: SYSTEM_NS, name: `sluice-${config}` });
      await admin.delete({ apiVersion: API_VERSION, kind: 'GitRepo', namespace: SYSTEM_NS, name: gitRepoNameFor('github', repo) });
      await admin.delete({ apiVersion: 'v1', kind: 'Secret', namespace: SYSTEM_NS, name: secretName });
      await gh.stop();
    },
  };
}
