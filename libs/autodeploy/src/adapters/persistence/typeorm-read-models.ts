import type { DataSource } from 'typeorm';
import type { BuildView, ConfigView, DeployView, HistoryEntry, ReadModels } from '../../application/read-models';
import type { InFlightDeploy, InFlightDeploys } from '../../application/step-deadlines';
import type { DeployStep } from '../../domain/deploy-steps';

type Row = Record<string, unknown>;

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

export function toConfigView(r: Row): ConfigView {
  return {
    name: r.name as string,
    team: r.team as string,
    namespace: r.namespace as string,
    configRepo: r.config_repo as string,
    path: r.path as string,
    artifact: r.artifact_repo ? { repo: r.artifact_repo as string, image: r.artifact_image as string, build: (r.artifact_build as string | null) ?? null } : null,
    track: { branch: r.track_branch as string },
    autodeploy: r.autodeploy as boolean,
    rootSha: r.root_sha as string,
    status: r.status as ConfigView['status'],
    current: {
      artifactSha: (r.artifact_sha as string | null) ?? null,
      configSha: (r.config_sha as string | null) ?? null,
      deployId: (r.current_deploy_id as string | null) ?? null,
    },
    phase: (r.phase as ConfigView['phase']) ?? null,
    lastDeployId: (r.last_deploy_id as string | null) ?? null,
    inFlightDeployId: (r.in_flight_deploy_id as string | null) ?? null,
    queuedDeployId: (r.queued_deploy_id as string | null) ?? null,
    pin: r.pinned ? { by: r.pinned_by as string, reason: r.pin_reason as string, at: iso(r.pinned_at)! } : null,
    drift: (r.drift as ConfigView['drift'] | null | undefined) ?? null,
    registeredAt: iso(r.registered_at)!,
    updatedAt: iso(r.updated_at)!,
    streamVersion: r.stream_version as number,
  };
}

export function toDeployView(r: Row): DeployView {
  return {
    id: r.id as string,
    config: r.config as string,
    team: r.team as string,
    kind: r.kind as DeployView['kind'],
    artifactSha: (r.artifact_sha as string | null) ?? null,
    configSha: (r.config_sha as string | null) ?? null,
    imageTag: (r.image_tag as string | null) ?? null,
    cause: r.cause as DeployView['cause'],
    requestedBy: r.requested_by as string,
    reason: r.reason as string,
    reappliedFrom: (r.reapplied_from as string | null) ?? null,
    phase: r.phase as DeployView['phase'],
    supersededBy: (r.superseded_by as string | null) ?? null,
    dryRun: (r.dry_run as boolean | null) ?? null,
    inventory: (r.inventory as unknown[] | null) ?? null,
    failure: r.failure_reason
      ? { reason: r.failure_reason as string, message: (r.failure_message as string) ?? '', terminal: Boolean(r.failure_terminal) }
      : null,
    steps: (r.steps as DeployView['steps'] | null | undefined) ?? [],
    timestamps: {
      queuedAt: iso(r.queued_at),
      requestedAt: iso(r.requested_at),
      startedAt: iso(r.started_at),
      appliedAt: iso(r.applied_at),
      succeededAt: iso(r.succeeded_at),
      failedAt: iso(r.failed_at),
      supersededAt: iso(r.superseded_at),
      undeployedAt: iso(r.undeployed_at),
      updatedAt: iso(r.updated_at)!,
    },
  };
}

export class TypeOrmReadModels implements ReadModels, InFlightDeploys {
  constructor(private readonly dataSource: DataSource) {}

  async listConfigs(team: string | null): Promise<ConfigView[]> {
    const rows: Row[] = team === null
      ? await this.dataSource.query(`SELECT * FROM autodeploy.configs ORDER BY name`)
      : await this.dataSource.query(`SELECT * FROM autodeploy.configs WHERE team = $1 ORDER BY name`, [team]);
    return rows.map(toConfigView);
  }

  async getConfig(name: string): Promise<ConfigView | null> {
    const [row]: Row[] = await this.dataSource.query(`SELECT * FROM autodeploy.configs WHERE name = $1`, [name]);
    return row ? toConfigView(row) : null;
  }

  async deploysOf(config: string, limit: number, before: string | null): Promise<DeployView[] | 'unknown-cursor'> {
    let beforeSeq: string | null = null;
    if (before !== null) {
      const [cursor]: Array<{ seq: string }> = await this.dataSource.query(`SELECT seq FROM autodeploy.deploys WHERE id = $1 AND config = $2`, [before, config]);
      if (!cursor) return 'unknown-cursor';
      beforeSeq = cursor.seq;
    }
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM autodeploy.deploys WHERE config = $1 AND ($2::bigint IS NULL OR seq < $2::bigint) ORDER BY seq DESC LIMIT $3`,
      [config, beforeSeq, limit],
    );
    return rows.map(toDeployView);
  }

  async getDeploy(id: string): Promise<DeployView | null> {
    const [row]: Row[] = await this.dataSource.query(`SELECT * FROM autodeploy.deploys WHERE id = $1`, [id]);
    return row ? toDeployView(row) : null;
  }

  /** The deploys in flight (one per config at most), for the step deadlines. */
  async inFlight(): Promise<InFlightDeploy[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT d.id, d.config, d.steps, d.updated_at FROM autodeploy.configs c JOIN autodeploy.deploys d ON d.id = c.in_flight_deploy_id
        WHERE d.phase IN ('applying', 'applied')`,
    );
    return rows.map((r) => ({ deployId: r.id as string, config: r.config as string, steps: (r.steps as DeployStep[] | null) ?? [], updatedAt: iso(r.updated_at)! }));
  }

  async buildsOf(config: string, limit: number): Promise<BuildView[]> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM autodeploy.builds WHERE config = $1 ORDER BY seq DESC LIMIT $2`, [config, limit]);
    return rows.map((r) => ({
      id: r.id as string,
      config: r.config as string,
      target: r.target as BuildView['target'],
      ref: r.ref as string,
      commitSha: r.commit_sha as string,
      imageTag: r.image_tag as string,
      phase: r.phase as string,
      message: (r.message as string | null) ?? null,
      buildRun: (r.build_run as string | null) ?? null,
      requestedBy: r.requested_by as string,
      reason: r.reason as string,
      timestamps: { requestedAt: iso(r.requested_at)!, scheduledAt: iso(r.scheduled_at), startedAt: iso(r.started_at), finishedAt: iso(r.finished_at) },
    }));
  }

  async historyOf(config: string, limit: number, before: number | null): Promise<HistoryEntry[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM autodeploy.config_history WHERE config = $1 AND ($2::int IS NULL OR stream_version < $2::int)
        ORDER BY stream_version DESC LIMIT $3`,
      [config, before, limit],
    );
    return rows.map((r) => ({
      streamVersion: r.stream_version as number,
      eventId: r.event_id as string,
      type: r.type as string,
      deployId: (r.deploy_id as string | null) ?? null,
      actor: (r.actor as string | null) ?? null,
      reason: (r.reason as string | null) ?? null,
      message: (r.message as string | null) ?? null,
      occurredAt: iso(r.occurred_at)!,
    }));
  }
}
