import { schemaIdentifier } from '@sluice/event-store';
import type { ScmProvider } from '@sluice/contracts';
import type { EntityManager } from 'typeorm';
import type { RepoProviders } from '../../application/deploy-status-projector';

/**
 * Which provider each repository Sluice has heard of lives on (`repo_providers`), kept from the
 * `repo.upserted` and `repo.renamed` events of `sluice.repo.v1` in the consumer's inbox
 * transaction: a deploy names its artifact repository by `owner/name` only, and Sluice's own
 * status goes to the provider that repository is on (docs/architecture.md §2).
 */
export class PgRepoProviders implements RepoProviders {
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${schemaIdentifier(schema)}.repo_providers`;
  }

  /** The catalogue knows the repository (`repo.upserted`). */
  async record(provider: ScmProvider, fullName: string, manager: EntityManager, at: string): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table} (provider, full_name, updated_at) VALUES ($1, $2, $3) ON CONFLICT (provider, full_name) DO UPDATE SET updated_at = EXCLUDED.updated_at`,
      [provider, fullName, at],
    );
  }

  /** A repository renamed or transferred on its provider (`repo.renamed`). */
  async rename(provider: ScmProvider, from: string, to: string, manager: EntityManager, at: string): Promise<void> {
    await manager.query(`DELETE FROM ${this.table} WHERE provider = $1 AND full_name = $2`, [provider, from]);
    await this.record(provider, to, manager, at);
  }

  /**
   * The provider of `owner/name`: GitHub when GitHub has it or nobody said (every repository
   * before other providers existed), else the other provider that has it (the latest heard of,
   * should GitLab and Bitbucket both have it).
   */
  async providerOf(fullName: string, manager: EntityManager): Promise<ScmProvider> {
    const rows: Array<{ provider: ScmProvider }> = await manager.query(
      `SELECT provider FROM ${this.table} WHERE full_name = $1 ORDER BY (provider = 'github') DESC, updated_at DESC LIMIT 1`,
      [fullName],
    );
    return rows[0]?.provider ?? 'github';
  }

  /** Every provider the catalogue knows a repository named `owner/name` on (none: not heard of yet). */
  async providersOf(fullName: string, manager: EntityManager): Promise<ScmProvider[]> {
    const rows: Array<{ provider: ScmProvider }> = await manager.query(`SELECT provider FROM ${this.table} WHERE full_name = $1 ORDER BY provider`, [fullName]);
    return rows.map((r) => r.provider);
  }
}
