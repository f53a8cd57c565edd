import { schemaIdentifier } from '@sluice/event-store';
import type { DeployConfigRoot } from '@sluice/contracts';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * The repositories of each team's configs (`config_repos`), kept from the config events of
 * `sluice.repo.v1` in the consumer's inbox transaction; the read API asks it whether a team
 * may read a repository's commit statuses.
 */
export class PgTeamRepos {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.table = `${schemaIdentifier(schema)}.config_repos`;
  }

  /** A config discovered or changed: its team and repositories as the config repository now says. */
  async upsert(config: DeployConfigRoot, manager: EntityManager, at: string): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table} (config, team, config_repo, artifact_repo, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (config) DO UPDATE SET team = EXCLUDED.team, config_repo = EXCLUDED.config_repo,
         artifact_repo = EXCLUDED.artifact_repo, updated_at = EXCLUDED.updated_at`,
      [config.name, config.team, config.configRepo, config.artifact?.repo ?? null, at],
    );
  }

  /** A config removed from its repository (a config of the same name in another repository is not this one). */
  async remove(name: string, configRepo: string, manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM ${this.table} WHERE config = $1 AND config_repo = $2`, [name, configRepo]);
  }

  /** A repository renamed or transferred (`repo.renamed`): the configs that named it name it by its new name. */
  async rename(from: string, to: string, manager: EntityManager, at: string): Promise<void> {
    await manager.query(`UPDATE ${this.table} SET config_repo = $2, updated_at = $3 WHERE config_repo = $1`, [from, to, at]);
    await manager.query(`UPDATE ${this.table} SET artifact_repo = $2, updated_at = $3 WHERE artifact_repo = $1`, [from, to, at]);
  }

  /** Whether one of `team`'s configs lives in `repo` or deploys an artifact built from it. */
  async visible(team: string, repo: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM ${this.table} WHERE team = $1 AND (config_repo = $2 OR artifact_repo = $2) LIMIT 1`,
      [team, repo],
    );
    return rows.length > 0;
  }
}
