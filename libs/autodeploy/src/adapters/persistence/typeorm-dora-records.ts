import type { DeployRecord, DoraRecords, DoraScope } from '@sluice/dora';
import type { DataSource } from 'typeorm';
import { AUTODEPLOY_SCHEMA } from './migrations';

interface Row {
  id: string;
  config: string;
  team: string;
  kind: 'deploy' | 'undeploy';
  cause: string;
  reapplied_from: string | null;
  commit_at: Date | null;
  requested_at: Date;
  applied_at: Date | null;
  succeeded_at: Date | null;
  failed_at: Date | null;
}

/**
 * The deploys read model (rebuilt by a replay) with each deployed commit's time, for libs/dora.
 * The time is the deploy's `commit_at`, projected from `commitAt` of its request event, so a replay
 * gives the same answers (#21). `commit_times` (what the pushes of `sluice.repo.v1` said: another
 * service's log, not rebuilt) is only the fallback for deploys requested before `commitAt` existed.
 */
export class TypeOrmDoraRecords implements DoraRecords {
  constructor(private readonly dataSource: DataSource) {}

  async recordsSince(scope: DoraScope, since: Date): Promise<DeployRecord[]> {
    const s = `"${AUTODEPLOY_SCHEMA}"`;
    const rows: Row[] = await this.dataSource.query(
      `SELECT d.id, d.config, d.team, d.kind, d.cause, d.reapplied_from,
              coalesce(d.requested_at, d.queued_at, d.updated_at) AS requested_at, d.applied_at, d.succeeded_at, d.failed_at,
              coalesce(d.commit_at, (SELECT min(t.committed_at) FROM ${s}.commit_times t WHERE t.sha = coalesce(d.artifact_sha, d.config_sha))) AS commit_at
         FROM ${s}.deploys d
        WHERE coalesce(d.requested_at, d.queued_at, d.updated_at) >= $1
          AND ($2::text IS NULL OR d.config = $2) AND ($3::text IS NULL OR d.team = $3)`,
      [since, scope.config, scope.team],
    );
    return rows.map((r) => ({
      id: r.id,
      config: r.config,
      team: r.team,
      kind: r.kind,
      cause: r.cause,
      reappliedFrom: r.reapplied_from,
      commitAt: r.commit_at ? new Date(r.commit_at) : null,
      requestedAt: new Date(r.requested_at),
      appliedAt: r.applied_at ? new Date(r.applied_at) : null,
      succeededAt: r.succeeded_at ? new Date(r.succeeded_at) : null,
      failedAt: r.failed_at ? new Date(r.failed_at) : null,
    }));
  }
}
