import type { DeployConfigRoot } from '@sluice/contracts';
import { EventParseError } from '@sluice/contracts';
import { columnIdentifier, schemaIdentifier, type StoredEvent } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { EntityManager } from 'typeorm';
import { toConfigEvent } from '../../application/config-commands';
import { configNameOfStream, type ConfigEvent } from '../../domain/config-events';
import { foldDeploySteps, type DeployStep } from '../../domain/deploy-steps';
import { AUTODEPLOY_SCHEMA } from './migrations';

export const READ_MODEL_PROJECTION = 'autodeploy.read-models';
export const READ_MODEL_TABLES = ['configs', 'deploys', 'config_history', 'builds'] as const;

const log = createLogger('autodeploy.projection');

/** A row of a read model as `to_jsonb` gives it (timestamps as text, jsonb columns as values). */
type Row = Record<string, unknown>;

/**
 * One table's rows a batch touches: loaded once, changed in memory, written back once
 * (multi-row statements). `null` = not there (an UPDATE of it changes nothing).
 */
class Rows {
  readonly rows = new Map<string, Row | null>();
  private readonly fresh = new Set<string>();
  private readonly dirty = new Set<string>();

  constructor(
    private readonly table: string,
    private readonly key: string,
  ) {}

  async load(m: EntityManager, schema: string, where: string, params: unknown[]): Promise<void> {
    const found: Array<{ r: Row }> = await m.query(`SELECT to_jsonb(t) AS r FROM ${schemaIdentifier(schema)}.${this.table} t WHERE ${where}`, params);
    for (const { r } of found) this.rows.set(String(r[this.key]), r);
  }

  get(id: string): Row | null {
    return this.rows.get(id) ?? null;
  }

  /** Applies `change` to the row if it is there (as an UPDATE … WHERE key = id would). */
  update(id: string | null, change: (row: Row) => void): void {
    const row = id === null ? null : this.get(id);
    if (!row) return;
    change(row);
    this.dirty.add(id!);
  }

  insert(row: Row): void {
    const id = String(row[this.key]);
    this.rows.set(id, row);
    this.fresh.add(id);
  }

  touched(id: string): void {
    this.dirty.add(id);
  }

  /** Two statements at most: the rows new in this batch inserted, the others updated, each as one JSON array. */
  async write(m: EntityManager, schema: string): Promise<void> {
    const table = `${schemaIdentifier(schema)}.${this.table}`;
    const inserted = [...this.fresh].map((id) => this.rows.get(id)!);
    const updated = [...this.dirty].filter((id) => !this.fresh.has(id)).map((id) => this.rows.get(id)!);
    if (inserted.length > 0) {
      const cols = Object.keys(inserted[0]!).map(columnIdentifier).join(', ');
      await m.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(null::${table}, $1::json)`, [JSON.stringify(inserted)]);
    }
    if (updated.length > 0) {
      const cols = Object.keys(updated[0]!).filter((c) => c !== this.key).map(columnIdentifier);
      const key = columnIdentifier(this.key);
      await m.query(
        `UPDATE ${table} AS t SET (${cols.join(', ')}) = (${cols.map((c) => `r.${c}`).join(', ')})
           FROM json_populate_recordset(null::${table}, $1::json) AS r WHERE t.${key} = r.${key}`,
        [JSON.stringify(updated)],
      );
    }
  }
}

/** What a batch works on: the configs, deploys and builds its events touch, and the history lines it adds. */
class BatchState {
  readonly configs = new Rows('configs', 'name');
  readonly deploys = new Rows('deploys', 'id');
  readonly builds = new Rows('builds', 'id');
  readonly history: Row[] = [];
  /** Configs whose deploys moved team (config.registered), for the deploys this batch did not load. */
  readonly teamMoves = new Map<string, string>();
}

interface Parsed {
  readonly name: string;
  readonly event: ConfigEvent;
  readonly stored: StoredEvent;
}

/**
 * Projects the config streams into `configs`, `deploys`, `config_history` and `builds` of
 * `schema` (the live `autodeploy`, or a rebuild's copy). Every value comes from the events
 * (timestamps are `occurredAt`, order is the log position), so a replay rebuilds the same rows
 * byte for byte. A batch is folded in memory: the rows its events touch are read in three
 * statements, changed event by event in log order exactly as one UPDATE per event would, and
 * written back in multi-row statements (issue #24: the per-event statements were the replay's cost).
 */
export async function projectReadModels(events: readonly StoredEvent[], m: EntityManager, schema: string = AUTODEPLOY_SCHEMA): Promise<void> {
  const parsed: Parsed[] = [];
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
    if (event) parsed.push({ name, event: withCanonicalIds(event), stored });
  }
  if (parsed.length === 0) return;
  const state = new BatchState();
  const names = [...new Set(parsed.map((p) => p.name))];
  const deployIds = new Set<string>();
  const buildIds = new Set<string>();
  for (const { event } of parsed) {
    const data = event.data as { deployId?: unknown; buildId?: unknown };
    if (typeof data.deployId === 'string') deployIds.add(data.deployId);
    if (event.type.startsWith('build.') && typeof data.buildId === 'string') buildIds.add(data.buildId);
  }
  const s = schemaIdentifier(schema);
  await state.configs.load(m, schema, `name = ANY($1::text[])`, [names]);
  // The deploys the events name, and each config's last deploy (its phase is the config's).
  await state.deploys.load(
    m,
    schema,
    `id = ANY(ARRAY(SELECT unnest($1::uuid[]) UNION SELECT last_deploy_id FROM ${s}.configs WHERE name = ANY($2::text[]) AND last_deploy_id IS NOT NULL))`,
    [[...deployIds], names],
  );
  if (buildIds.size > 0) await state.builds.load(m, schema, `id = ANY($1::uuid[])`, [[...buildIds]]);

  for (const { name, event, stored } of parsed) {
    apply(state, name, event, stored);
    foldSteps(state, event, stored.occurredAt);
  }

  await state.configs.write(m, schema);
  await state.deploys.write(m, schema);
  await state.builds.write(m, schema);
  if (state.history.length > 0) {
    const table = `${s}.config_history`;
    const cols = Object.keys(state.history[0]!).join(', ');
    await m.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(null::${table}, $1::json) ON CONFLICT DO NOTHING`, [
      JSON.stringify(state.history),
    ]);
  }
  if (state.teamMoves.size > 0) {
    // The deploys this batch loaded were moved in memory (and written above); these are the others.
    const loaded = [...state.deploys.rows.entries()].filter(([, row]) => row !== null).map(([id]) => id);
    await m.query(
      `UPDATE ${s}.deploys d SET team = mv.team FROM unnest($1::text[], $2::text[]) AS mv(config, team)
        WHERE d.config = mv.config AND d.team <> mv.team AND NOT (d.id = ANY($3::uuid[]))`,
      [[...state.teamMoves.keys()], [...state.teamMoves.values()], loaded],
    );
  }
}

/** Ids the batch keys rows by, in the text form PostgreSQL gives back (lower case), as a `uuid` comparison would see them. */
function withCanonicalIds(event: ConfigEvent): ConfigEvent {
  const data = event.data as Record<string, unknown>;
  let copy: Record<string, unknown> | null = null;
  for (const key of ['deployId', 'buildId', 'supersededBy', 'reappliedFrom']) {
    const value = data[key];
    if (typeof value === 'string' && value !== value.toLowerCase()) (copy ??= { ...data })[key] = value.toLowerCase();
  }
  return copy ? ({ ...event, data: copy } as ConfigEvent) : event;
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
function foldSteps(state: BatchState, event: ConfigEvent, at: string): void {
  if (!STEP_EVENTS.has(event.type)) return;
  const { deployId } = event.data as { deployId: string };
  state.deploys.update(deployId, (row) => {
    row.steps = foldDeploySteps(row.steps as DeployStep[], event, at);
  });
}

function apply(state: BatchState, name: string, event: ConfigEvent, stored: StoredEvent): void {
  const at = stored.occurredAt;
  const { configs, deploys, builds } = state;
  const config = (change: (row: Row) => void) => configs.update(name, change);
  const touch = () =>
    config((c) => {
      c.updated_at = at;
      c.stream_version = stored.streamVersion;
    });
  // The cluster's log lines belong to the deploy's log (GET /api/deploys/{id}/logs), not the config's history.
  if (event.type !== 'deploy.log') history(state, name, event, stored);
  switch (event.type) {
    case 'config.registered': {
      const root = event.data.root as DeployConfigRoot;
      const described = {
        team: root.team,
        namespace: root.namespace,
        config_repo: root.configRepo,
        path: root.path,
        artifact_repo: root.artifact?.repo ?? null,
        artifact_image: root.artifact?.image ?? null,
        artifact_build: root.artifact?.build ?? null,
        track_branch: root.track.branch,
        autodeploy: root.autodeploy,
        root_sha: event.data.configSha,
        status: 'active',
        updated_at: at,
        stream_version: stored.streamVersion,
      };
      if (configs.get(name)) config((c) => Object.assign(c, described));
      else {
        configs.insert({
          name,
          ...described,
          artifact_sha: null,
          config_sha: null,
          current_deploy_id: null,
          last_deploy_id: null,
          phase: null,
          in_flight_deploy_id: null,
          queued_deploy_id: null,
          pinned: false,
          pinned_by: null,
          pin_reason: null,
          pinned_at: null,
          registered_at: at,
          drift: null,
        });
      }
      // A team change moves the config's deploys with it (access follows the config).
      for (const [id, d] of deploys.rows) {
        if (d && d.config === name && d.team !== root.team) deploys.update(id, (row) => (row.team = root.team));
      }
      state.teamMoves.set(name, root.team);
      return;
    }
    case 'config.removed':
      config((c) => (c.status = 'removed'));
      return touch();
    case 'config.pinned':
      config((c) => Object.assign(c, { pinned: true, pinned_by: event.data.by, pin_reason: event.data.reason, pinned_at: at }));
      return touch();
    case 'config.unpinned':
      config((c) => Object.assign(c, { pinned: false, pinned_by: null, pin_reason: null, pinned_at: null }));
      return touch();
    case 'deploy.queued':
    case 'deploy.requested':
    case 'undeploy.requested': {
      const d = event.data;
      const queuedNow = event.type === 'deploy.queued';
      const kind = d.artifactSha === null && d.configSha === null ? 'undeploy' : 'deploy';
      const phase = queuedNow ? 'queued' : 'applying';
      const requestedAt = queuedNow ? null : at;
      if (deploys.get(d.deployId)) {
        deploys.update(d.deployId, (row) => Object.assign(row, { phase, requested_at: requestedAt, updated_at: at }));
      } else {
        deploys.insert({
          id: d.deployId,
          config: name,
          team: d.team,
          seq: stored.position.globalPosition,
          kind,
          artifact_sha: d.artifactSha ?? null,
          config_sha: d.configSha ?? null,
          image_tag: d.imageTag ?? null,
          cause: d.cause,
          requested_by: d.requestedBy,
          reason: d.reason,
          reapplied_from: d.reappliedFrom ?? null,
          // From the request's event, not from `commit_times` (written from repo-sync's topic, not this log).
          commit_at: d.commitAt ?? null,
          phase,
          superseded_by: null,
          dry_run: null,
          inventory: null,
          failure_reason: null,
          failure_message: null,
          failure_terminal: null,
          queued_at: queuedNow ? at : null,
          requested_at: requestedAt,
          started_at: null,
          applied_at: null,
          succeeded_at: null,
          failed_at: null,
          superseded_at: null,
          undeployed_at: null,
          updated_at: at,
          steps: [],
        });
      }
      if (queuedNow) {
        config((c) => (c.queued_deploy_id = d.deployId));
      } else {
        config((c) => {
          c.in_flight_deploy_id = d.deployId;
          c.last_deploy_id = d.deployId;
          if (c.queued_deploy_id === d.deployId) c.queued_deploy_id = null;
        });
      }
      refreshPhase(state, name);
      return touch();
    }
    case 'deploy.superseded':
      deploys.update(event.data.deployId, (row) =>
        Object.assign(row, { phase: 'superseded', superseded_by: event.data.supersededBy, superseded_at: at, updated_at: at }),
      );
      config((c) => {
        if (c.queued_deploy_id === event.data.deployId) c.queued_deploy_id = null;
      });
      return touch();
    case 'deploy.rejected':
    case 'deploy.skipped':
    case 'deploy.step':
    case 'deploy.log':
      return touch();
    case 'build.requested': {
      const d = event.data;
      if (!builds.get(d.buildId)) {
        builds.insert({
          id: d.buildId,
          config: name,
          seq: stored.position.globalPosition,
          target: d.target,
          ref: d.ref,
          commit_sha: d.commitSha,
          image_tag: d.imageTag,
          phase: 'requested',
          message: null,
          build_run: null,
          requested_by: d.requestedBy,
          reason: d.reason,
          requested_at: at,
          scheduled_at: null,
          started_at: null,
          finished_at: null,
        });
      }
      return touch();
    }
    case 'build.scheduled':
      builds.update(event.data.buildId, (b) => Object.assign(b, { phase: 'scheduled', build_run: event.data.buildRun, scheduled_at: at }));
      return touch();
    case 'build.started':
      builds.update(event.data.buildId, (b) => Object.assign(b, { phase: 'running', started_at: event.data.startedAt ?? at }));
      return touch();
    case 'build.finished':
      builds.update(event.data.buildId, (b) =>
        Object.assign(b, { phase: event.data.phase, message: event.data.message ?? null, finished_at: event.data.finishedAt ?? at }),
      );
      return touch();
    case 'deploy.started':
      deploys.update(event.data.deployId, (row) => Object.assign(row, { phase: 'applying', started_at: at, updated_at: at }));
      refreshPhase(state, name);
      return touch();
    case 'deploy.applied':
      deploys.update(event.data.deployId, (row) =>
        Object.assign(row, { phase: 'applied', applied_at: at, dry_run: event.data.dryRun, inventory: event.data.inventory, updated_at: at }),
      );
      becomesCurrent(state, name, event.data.deployId);
      refreshPhase(state, name);
      return touch();
    case 'gitops.drift.detected': {
      const { sha, found, expected, pusher } = event.data;
      config((c) => (c.drift = JSON.parse(JSON.stringify({ sha, found, expected, pusher, at })) as unknown));
      return touch();
    }
    case 'deploy.succeeded':
    case 'deploy.undeployed':
      // A deploy that succeeded wrote its own tag again.
      if (event.type === 'deploy.succeeded') config((c) => (c.drift = null));
      deploys.update(event.data.deployId, (row) =>
        Object.assign(row, { phase: 'succeeded', [event.type === 'deploy.undeployed' ? 'undeployed_at' : 'succeeded_at']: at, updated_at: at }),
      );
      becomesCurrent(state, name, event.data.deployId);
      endInFlight(state, name, event.data.deployId);
      refreshPhase(state, name);
      return touch();
    case 'deploy.failed':
      deploys.update(event.data.deployId, (row) =>
        Object.assign(row, {
          phase: 'failed',
          failed_at: at,
          failure_reason: event.data.reason,
          failure_message: event.data.message,
          failure_terminal: event.data.terminal,
          updated_at: at,
        }),
      );
      endInFlight(state, name, event.data.deployId);
      refreshPhase(state, name);
      return touch();
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/** Same rule as the aggregate: only the deploy in flight (or, with none, any) defines what the cluster holds. */
function becomesCurrent(state: BatchState, name: string, deployId: string): void {
  const d = state.deploys.get(deployId);
  if (!d) return;
  state.configs.update(name, (c) => {
    if (c.in_flight_deploy_id !== null && c.in_flight_deploy_id !== deployId) return;
    Object.assign(c, { current_deploy_id: d.id, artifact_sha: d.artifact_sha, config_sha: d.config_sha });
  });
}

function endInFlight(state: BatchState, name: string, deployId: string): void {
  state.configs.update(name, (c) => {
    if (c.in_flight_deploy_id === deployId) c.in_flight_deploy_id = null;
  });
}

function refreshPhase(state: BatchState, name: string): void {
  state.configs.update(name, (c) => {
    const last = c.last_deploy_id === null ? null : state.deploys.get(String(c.last_deploy_id));
    c.phase = last ? last.phase : null;
  });
}

/** One line per event of the config's stream: what happened, who decided, why. */
function history(state: BatchState, name: string, event: ConfigEvent, stored: StoredEvent): void {
  const data = event.data as Record<string, unknown>;
  const str = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : null);
  state.history.push({
    config: name,
    stream_version: stored.streamVersion,
    event_id: stored.id,
    type: event.type,
    deploy_id: str('deployId'),
    actor: str('requestedBy') ?? str('by'),
    reason: str('reason'),
    message: str('message') ?? null,
    occurred_at: stored.occurredAt,
  });
}
