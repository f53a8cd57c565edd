// The GitOps side of a world (issue 18 §2): a GitOps repository `acme/gitops` on the fake GitHub
// holding the values file of application `billing` of a fake Argo CD, and the deploy.yaml that
// makes billing-api deploy through them.
import assert from 'node:assert/strict';
import { FakeArgoCd } from '@sluice/fake-scm';
import { deployIdOf } from '@sluice/gitops';
import { CONFIG_REPO, deployYaml, type World } from './world';
import { waitFor, type Scenario } from './scenario';

export const GITOPS_REPO = 'acme/gitops';
export const VALUES_PATH = 'apps/billing/values.yaml';
export const VALUES = '# billing-api, synced by Argo CD\nreplicaCount: 2\nimage:\n  repository: ghcr.io/acme/billing\n  tag: main-0000000 # Sluice writes this\n';
export const ARGO_TOKEN = 'argocd-e2e-token-0123456789';

export class GitOpsSide {
  readonly argo = new FakeArgoCd({ tokens: [ARGO_TOKEN], syncDurationMs: 200 });

  constructor(private readonly world: World) {}

  /** Starts the fake Argo CD and seeds the GitOps repository; the settings kube-applier needs. */
  async start(): Promise<{ ARGOCD_URL: string; ARGOCD_TOKEN: string }> {
    await this.argo.start();
    this.argo.application('billing', { repoURL: `https://github.com/${GITOPS_REPO}`, path: 'apps/billing', namespace: this.world.namespace });
    this.world.github.seed.repo({ owner: 'acme', name: 'gitops', defaultBranch: 'main' });
    this.world.github.seed.commit(GITOPS_REPO, { message: 'billing values', files: { [VALUES_PATH]: VALUES } });
    return { ARGOCD_URL: this.argo.url, ARGOCD_TOKEN: ARGO_TOKEN };
  }

  async stop(): Promise<void> {
    await this.argo.stop();
  }

  /** A commit of the config repository that makes billing-api deploy through the GitOps repository. */
  commitGitOpsConfig(): string {
    const target = `target:\n  gitops:\n    repo: ${GITOPS_REPO}\n    branch: main\n    path: ${VALUES_PATH}\n    key: image.tag\n    argocd: { app: billing }\n`;
    return this.world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-api: deploy through GitOps',
      files: { 'deploy/billing-api/deploy.yaml': deployYaml(this.world.namespace, target) },
    });
  }

  private repo() {
    return this.world.github.state.requireRepo(GITOPS_REPO);
  }

  valuesAtHead(): string | null {
    const repo = this.repo();
    const commit = repo.git.commits.get(repo.branches.get('main')!)!;
    const blob = repo.git.lookup(commit.tree, VALUES_PATH);
    return blob?.type === 'blob' ? repo.git.blobs.get(blob.sha)!.content.toString('utf8') : null;
  }

  /** The commits Sluice made (those with its deploy-id trailer). */
  sluiceCommits() {
    return [...this.repo().git.commits.values()].filter((c) => deployIdOf(c.message) !== null);
  }

  /** GitHub delivers the push of Sluice's `n`th commit to the GitOps repository; Argo CD has not been asked before it. */
  async deliverSluicePush(s: Scenario, n: number): Promise<void> {
    await waitFor(() => this.sluiceCommits().length === n, () => `Sluice's commit #${n} in ${GITOPS_REPO}`, 60_000);
    const syncs = this.argo.syncs.length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(this.argo.syncs.length, syncs, 'Argo CD is not synced before the push arrives');
    await s.webhook('push', this.world.github.events.push(GITOPS_REPO, { branch: 'main' }));
  }
}
