import { buildKeySql } from '@sluice/contracts';
import { ChatDeployRefused, type ChatCatalogue, type ChatConfig, type ChatDeploys, type ChatDeployView } from '@sluice/chat-ops';
import type { DataSource } from 'typeorm';
import { CommandRefused, type DeployService } from '../../application/deploy-service';
import type { RepoKnowledge } from '../../application/ports';
import type { DeployView, ReadModels } from '../../application/read-models';

const view = (d: DeployView): ChatDeployView => ({
  id: d.id,
  config: d.config,
  phase: d.phase,
  imageTag: d.imageTag,
  artifactSha: d.artifactSha,
  configSha: d.configSha,
  requestedBy: d.requestedBy,
  reason: d.reason,
  failure: d.failure?.message ?? null,
  at: d.timestamps.requestedAt ?? d.timestamps.queuedAt ?? d.timestamps.updatedAt,
});

/** Chat-ops' view of autodeploy's catalogue: the read models and what autodeploy knows of the repositories. */
export class AutodeployChatCatalogue implements ChatCatalogue {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reads: ReadModels,
    private readonly knowledge: RepoKnowledge,
  ) {}

  async config(name: string): Promise<ChatConfig | null> {
    const c = await this.reads.getConfig(name);
    if (!c || c.status !== 'active') return null;
    return { name: c.name, team: c.team, configRepo: c.configRepo, trackBranch: c.track.branch, artifact: c.artifact && { repo: c.artifact.repo, build: c.artifact.build } };
  }

  async configNames(teams: readonly string[]): Promise<string[]> {
    const all = await Promise.all(teams.map((t) => this.reads.listConfigs(t)));
    return all.flat().filter((c) => c.status === 'active').map((c) => c.name);
  }

  branchHead(repo: string, branch: string): Promise<string | null> {
    return this.knowledge.branchHead(this.dataSource.manager, repo, branch);
  }

  defaultBranchHead(repo: string): Promise<string | null> {
    return this.knowledge.defaultBranchHead(this.dataSource.manager, repo);
  }

  async knownCommit(repo: string, prefix: string): Promise<string | null> {
    const rows: Array<{ sha: string }> = await this.dataSource.query(
      `SELECT DISTINCT sha FROM autodeploy.known_commits WHERE repo = $1 AND sha LIKE $2 LIMIT 2`,
      [repo, `${prefix.toLowerCase()}%`],
    );
    return rows.length === 1 ? rows[0]!.sha : null;
  }

  async hasGreenBuild(repo: string, sha: string, buildName: string | null): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM autodeploy.green_builds WHERE repo = $1 AND sha = $2 AND ($3::text IS NULL OR ${buildKeySql('build_name')} = ${buildKeySql('$3')}) LIMIT 1`,
      [repo, sha, buildName],
    );
    return rows.length > 0;
  }

  async status(config: string) {
    const c = await this.reads.getConfig(config);
    const current = c?.current.deployId ? await this.reads.getDeploy(c.current.deployId) : null;
    return { phase: c?.phase ?? null, imageTag: current?.imageTag ?? null, pinnedBy: c?.pin?.by ?? null, currentDeployId: c?.current.deployId ?? null };
  }

  async deploys(config: string, limit: number): Promise<ChatDeployView[]> {
    const list = await this.reads.deploysOf(config, limit, null);
    return list === 'unknown-cursor' ? [] : list.map(view);
  }

  async deploy(id: string): Promise<ChatDeployView | null> {
    const d = await this.reads.getDeploy(id);
    return d ? view(d) : null;
  }
}

/** Chat-ops' deploys go through the deploy service of the REST API; its refusals keep their message. */
export class AutodeployChatDeploys implements ChatDeploys {
  constructor(private readonly service: DeployService) {}

  deploy(actor: { subject: string; team: string }, input: { config: string; artifactSha: string | null; configSha: string | null; branch: string | null; reason: string }) {
    return refusals(() => this.service.deploy(actor, { config: input.config, pair: { artifactSha: input.artifactSha, configSha: input.configSha }, reason: input.reason, branch: input.branch }));
  }

  reapply(actor: { subject: string; team: string }, fromDeployId: string, reason: string) {
    return refusals(() => this.service.reapply(actor, fromDeployId, reason));
  }
}

async function refusals<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CommandRefused) throw new ChatDeployRefused(`Refused: ${error.message}`);
    throw error;
  }
}
