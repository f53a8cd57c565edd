import type { DeployConfigRoot } from '@sluice/contracts';
import { EventParseError } from '@sluice/contracts';
import type { StoredEvent } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { EntityManager } from 'typeorm';
import { toConfigEvent } from '../../application/config-commands';
import { configNameOfStream, type ConfigEvent } from '../../domain/config-events';
import { foldDeploySteps, type DeployStep } from '../../domain/deploy-steps';

export const READ_MODEL_PROJECTION = 'autodeploy.read-models';
export const READ_MODEL_TABLES = ['configs', 'deploys', 'config_history', 'builds'] as const;

const log = createLogger('autodeploy.projection');

/**
 * Projects the config streams into `configs`, `deploys` and `config_history`. Every
 * value comes from the events (timestamps are `occurredAt`, order is the log position),
 * so a replay rebuilds the same rows byte for byte.
 */
export async function projectReadModels(events: readonly StoredEvent[], m: EntityManager): Promise<void> {
  for (const stored of events) {
    const name = configNameOfStream(stored.stream);
    if (name === null) continue;
    let event: ConfigEvent | null;
    try {
      event = toConfigEvent(stored);
    } catch (error) {
      if (!(error instanceof EventParseError)) throw error;
      log.error({ eventId: stored.id, type: stored.type, stream: stored.stream, err: error.message }, 'unreadable event skipped by the projection');
      continue;
    }
    if (!event) continue;
    await apply(m, name, event, stored);
    await foldSteps(m, event, stored.occurredAt);
  }
}

const STEP_EVENTS = new Set<ConfigEvent['type']>([
  'deploy.queued',
  'deploy.requested',
  'undeploy.requested',
  'deploy.step',
  'deploy.started',
  'deploy.applied',
  'deploy.succeeded',
  'deploy.undeployed',
  'deploy.failed',
  'deploy.superseded',
]);

/** A deploy's `steps` after the event (`foldDeploySteps`, §1 "Steps"). */
async function foldSteps(m: EntityManager, event: ConfigEvent, at: string): Promise<void> {
  if (!STEP_EVENTS.has(event.type)) return;
  const { deployId } = event.data as { deployId: string };
  const [row]: Array<{ steps: DeployStep[] }> = await m.query(`SELECT steps FROM autodeploy.deploys WHERE id = $1`, [deployId]);
  if (!row) return;
  await m.query(`UPDATE autodeploy.deploys SET steps = $2::jsonb WHERE id = $1`, [deployId, JSON.stringify(foldDeploySteps(row.steps, event, at))]);
}

async function apply(m: EntityManager, name: string, event: ConfigEvent, stored: StoredEvent): Promise<void> {
  const at = stored.occurredAt;
  const touch = () =>
    m.query(`UPDATE autodeploy.configs SET updated_at = $2, stream_version = $3 WHERE name = $1`, [name, at, stored.streamVersion]);
  // The cluster's log lines belong to the deploy's log (GET /api/deploys/{id}/logs), not the config's history.
  if (event.type !== 'deploy.log') await history(m, name, event, stored);
  switch (event.type) {
    case 'config.registered': {
      const root = event.data.root as DeployConfigRoot;
      await m.query(
        `INSERT INTO autodeploy.configs (name, team, namespace, config_repo, path, artifact_repo, artifact_image, artifact_build,
           track_branch, autodeploy, root_sha, status, registered_at, updated_at, stream_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12, $12, $13)
         ON CONFLICT (name) DO UPDATE SET team = EXCLUDED.team, namespace = EXCLUDED.namespace, config_repo = EXCLUDED.config_repo,
           path = EXCLUDED.path, artifact_repo = EXCLUDED.artifact_repo, artifact_image = EXCLUDED.artifact_image,
           artifact_build = EXCLUDED.artifact_build, track_branch = EXCLUDED.track_branch, autodeploy = EXCLUDED.autodeploy,
           root_sha = EXCLUDED.root_sha, status = 'active', updated_at = EXCLUDED.updated_at, stream_version = EXCLUDED.stream_version`,
        [
          name,
          root.team,
          root.namespace,
          root.configRepo,
          root.path,
          root.artifact?.repo ?? null,
          root.artifact?.image ?? null,
          root.artifact?.build ?? null,
          root.track.branch,
          root.autodeploy,
          event.data.configSha,
          at,
          stored.streamVersion,
        ],
      );
      // A team change moves the config's deploys with it (access follows the config).
      await m.query(`UPDATE autodeploy.deploys SET team = $2 WHERE config = $1 AND team <> $2`, [name, root.team]);
      return;
    }
    case 'config.removed':
      await m.query(`UPDATE autodeploy.configs SET status = 'removed' WHERE name = $1`, [name]);
      return touch();
    case 'config.pinned':
      await m.query(`UPDATE autodeploy.configs SET pinned = true, pinned_by = $2, pin_reason = $3, pinned_at = $4 WHERE name = $1`, [
        name,
        event.data.by,
        event.data.reason,
        at,
      ]);
      return touch();
    case 'config.unpinned':
      await m.query(`UPDATE autodeploy.configs SET pinned = false, pinned_by = NULL, pin_reason = NULL, pinned_at = NULL WHERE name = $1`, [name]);
      return touch();
    case 'deploy.queued':
    case 'deploy.requested':
    case 'undeploy.requested': {
      const d = event.data;
      const queuedNow = event.type === 'deploy.queued';
      const kind = d.artifactSha === null && d.configSha === null ? 'undeploy' : 'deploy';
      await m.query(
        `INSERT INTO autodeploy.deploys (id, config, team, seq, kind, artifact_sha, config_sha, image_tag, cause, requested_by, reason,
           reapplied_from, phase, queued_at, requested_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (id) DO UPDATE SET phase = EXCLUDED.phase, requested_at = EXCLUDED.requested_at, updated_at = EXCLUDED.updated_at`,
        [
          d.deployId,
          name,
          d.team,
          stored.position.globalPosition,
          kind,
          d.artifactSha,
          d.configSha,
          d.imageTag,
          d.cause,
          d.requestedBy,
          d.reason,
          d.reappliedFrom,
          queuedNow ? 'queued' : 'applying',
          queuedNow ? at : null,
          queuedNow ? null : at,
          at,
        ],
      );
      if (queuedNow) {
        await m.query(`UPDATE autodeploy.configs SET queued_deploy_id = $2 WHERE name = $1`, [name, d.deployId]);
      } else {
        await m.query(
          `UPDATE autodeploy.configs SET in_flight_deploy_id = $2, last_deploy_id = $2,
             queued_deploy_id = CASE WHEN queued_deploy_id = $2 THEN NULL ELSE queued_deploy_id END WHERE name = $1`,
          [name, d.deployId],
        );
      }
      await refreshPhase(m, name);
      return touch();
    }
    case 'deploy.superseded':
      await m.query(`UPDATE autodeploy.deploys SET phase = 'superseded', superseded_by = $2, superseded_at = $3, updated_at = $3 WHERE id = $1`, [
        event.data.deployId,
        event.data.supersededBy,
        at,
      ]);
      await m.query(`UPDATE autodeploy.configs SET queued_deploy_id = NULL WHERE name = $1 AND queued_deploy_id = $2`, [name, event.data.deployId]);
      return touch();
    case 'deploy.rejected':
    case 'deploy.skipped':
    case 'deploy.step':
    case 'deploy.log':
      return touch();
    case 'build.requested': {
      const d = event.data;
      await m.query(
        `INSERT INTO autodeploy.builds (id, config, seq, target, ref, commit_sha, image_tag, phase, requested_by, reason, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested', $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
        [d.buildId, name, stored.position.globalPosition, d.target, d.ref, d.commitSha, d.imageTag, d.requestedBy, d.reason, at],
      );
      return touch();
    }
    case 'build.scheduled':
      await m.query(`UPDATE autodeploy.builds SET phase = 'scheduled', build_run = $2, scheduled_at = $3 WHERE id = $1`, [event.data.buildId, event.data.buildRun, at]);
      return touch();
    case 'build.started':
      await m.query(`UPDATE autodeploy.builds SET phase = 'running', started_at = COALESCE($2::timestamptz, $3::timestamptz) WHERE id = $1`, [event.data.buildId, event.data.startedAt, at]);
      return touch();
    case 'build.finished':
      await m.query(`UPDATE autodeploy.builds SET phase = $2, message = $3, finished_at = COALESCE($4::timestamptz, $5::timestamptz) WHERE id = $1`, [
        event.data.buildId,
        event.data.phase,
        event.data.message,
        event.data.finishedAt,
        at,
      ]);
      return touch();
    case 'deploy.started':
      await m.query(`UPDATE autodeploy.deploys SET phase = 'applying', started_at = $2, updated_at = $2 WHERE id = $1`, [event.data.deployId, at]);
      await refreshPhase(m, name);
      return touch();
    case 'deploy.applied':
      await m.query(
        `UPDATE autodeploy.deploys SET phase = 'applied', applied_at = $2, dry_run = $3, inventory = $4::jsonb, updated_at = $2 WHERE id = $1`,
        [event.data.deployId, at, event.data.dryRun, JSON.stringify(event.data.inventory)],
      );
      await becomesCurrent(m, name, event.data.deployId);
      await refreshPhase(m, name);
      return touch();
    case 'gitops.drift.detected': {
      const { sha, found, expected, pusher } = event.data;
      await m.query(`UPDATE autodeploy.configs SET drift = $2::jsonb WHERE name = $1`, [name, JSON.stringify({ sha, found, expected, pusher, at })]);
      return touch();
    }
    case 'deploy.succeeded':
    case 'deploy.undeployed':
      // A deploy that succeeded wrote its own tag again.
      if (event.type === 'deploy.succeeded') await m.query(`UPDATE autodeploy.configs SET drift = NULL WHERE name = $1 AND drift IS NOT NULL`, [name]);
      await m.query(
        `UPDATE autodeploy.deploys SET phase = 'succeeded', ${event.type === 'deploy.undeployed' ? 'undeployed_at' : 'succeeded_at'} = $2, updated_at = $2 WHERE id = $1`,
        [event.data.deployId, at],
      );
      await becomesCurrent(m, name, event.data.deployId);
      await endInFlight(m, name, event.data.deployId);
      await refreshPhase(m, name);
      return touch();
    case 'deploy.failed':
      await m.query(
        `UPDATE autodeploy.deploys SET phase = 'failed', failed_at = $2, failure_reason = $3, failure_message = $4, failure_terminal = $5, updated_at = $2
          WHERE id = $1`,
        [event.data.deployId, at, event.data.reason, event.data.message, event.data.terminal],
      );
      await endInFlight(m, name, event.data.deployId);
      await refreshPhase(m, name);
      return touch();
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/** Same rule as the aggregate: only the deploy in flight (or, with none, any) defines what the cluster holds. */
async function becomesCurrent(m: EntityManager, name: string, deployId: string): Promise<void> {
  await m.query(
    `UPDATE autodeploy.configs c SET current_deploy_id = d.id, artifact_sha = d.artifact_sha, config_sha = d.config_sha
       FROM autodeploy.deploys d
      WHERE c.name = $1 AND d.id = $2 AND (c.in_flight_deploy_id IS NULL OR c.in_flight_deploy_id = $2)`,
    [name, deployId],
  );
}

async function endInFlight(m: EntityManager, name: string, deployId: string): Promise<void> {
  await m.query(`UPDATE autodeploy.configs SET in_flight_deploy_id = NULL WHERE name = $1 AND in_flight_deploy_id = $2`, [name, deployId]);
}

async function refreshPhase(m: EntityManager, name: string): Promise<void> {
  await m.query(
    `UPDATE autodeploy.configs c SET phase = (SELECT d.phase FROM autodeploy.deploys d WHERE d.id = c.last_deploy_id) WHERE c.name = $1`,
    [name],
  );
}

/** One line per event of the config's stream: what happened, who decided, why. */
async function history(m: EntityManager, name: string, event: ConfigEvent, stored: StoredEvent): Promise<void> {
  const data = event.data as Record<string, unknown>;
  const str = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : null);
  const actor = str('requestedBy') ?? str('by');
  const message = str('message') ?? null;
  await m.query(
    `INSERT INTO autodeploy.config_history (config, stream_version, event_id, type, deploy_id, actor, reason, message, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
    [name, stored.streamVersion, stored.id, event.type, str('deployId'), actor, str('reason'), message, stored.occurredAt],
  );
}
