import { applierStream, newEvent, type NewEvent } from '@sluice/contracts';
import { migrationSchema, schemaIdentifier, transactWithRetry, type EventStore } from '@sluice/event-store';
import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import {
  BUILD_ID_LABEL,
  CORRELATION_ANNOTATION,
  TERMINAL_PHASES,
  type BuildRequest,
  type BuildRunObject,
  type BuildRunStatus,
} from '../domain/build-run';

/** `<schema>.build_reports`: which report of which build is in the log (one row per build and slot). */
export class BuildReports1766300000001 implements MigrationInterface {
  name = 'BuildReports1766300000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ${migrationSchema(q)}.build_reports (
        build_id uuid NOT NULL,
        slot     text NOT NULL,
        PRIMARY KEY (build_id, slot)
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${migrationSchema(q)}.build_reports`);
  }
}

/** Add to the migrations of the service that runs builds (kube-applier). */
export const buildReportMigrations = [BuildReports1766300000001];

type Slot = 'scheduled' | 'started' | 'finished';

/**
 * Writes how a build goes into the log (`build.scheduled`, `build.started`, `build.finished` on
 * `applier-<config>`, docs/architecture.md §3) through the transactional outbox, each at most once
 * per build: the `build_reports` row and the event commit together. The controller calls it on
 * every pass with what the BuildRun shows, so a report lost to a crash is written on the next pass
 * (level-triggered), and a pass repeated writes nothing.
 */
export class BuildReporter {
  /** Slots known to be written: spares a round trip on every resync. */
  private readonly written = new Set<string>();

  constructor(private readonly store: EventStore) {}

  /** What a BuildRun Sluice created (it has a build id) shows now. A BuildRun made by hand is not reported. */
  async reportStatus(run: BuildRunObject, status: BuildRunStatus): Promise<void> {
    const buildId = run.metadata.labels?.[BUILD_ID_LABEL];
    if (!buildId || !status.phase) return;
    const base = { buildId, config: run.spec.config, target: run.spec.target as 'staging' | 'production', commitSha: run.spec.commitSha };
    const meta = { correlationId: run.metadata.annotations?.[CORRELATION_ANNOTATION] ?? buildId };
    const terminal = TERMINAL_PHASES.has(status.phase);
    const reports: Array<[Slot, NewEvent]> = [];
    if (status.jobName) {
      reports.push(['scheduled', newEvent('build.scheduled', { ...base, buildRun: run.metadata.name!, namespace: run.metadata.namespace! }, meta)]);
    }
    if (status.phase === 'Running' || (terminal && status.startedAt)) {
      reports.push(['started', newEvent('build.started', { ...base, startedAt: status.startedAt ?? null }, meta)]);
    }
    if (terminal) {
      const phase = status.phase as 'Succeeded' | 'Failed' | 'TimedOut' | 'Canceled';
      reports.push(['finished', newEvent('build.finished', { ...base, phase, message: status.message ?? '', finishedAt: status.finishedAt ?? null }, meta)]);
    }
    for (const [slot, event] of reports) await this.write(buildId, run.spec.config, slot, event);
  }

  /** A build that never got a BuildRun (refused by the team policy, no cluster, an invalid spec): it ends Canceled, saying why. */
  async reportRefused(request: BuildRequest, message: string, options: { correlationId: string; manager?: EntityManager }): Promise<void> {
    const event = newEvent(
      'build.finished',
      { buildId: request.buildId, config: request.config, target: request.target, commitSha: request.commitSha, phase: 'Canceled', message, finishedAt: new Date().toISOString() },
      { correlationId: options.correlationId },
    );
    await this.write(request.buildId, request.config, 'finished', event, options.manager);
  }

  private async write(buildId: string, config: string, slot: Slot, event: NewEvent, manager?: EntityManager): Promise<void> {
    const key = `${buildId}/${slot}`;
    if (this.written.has(key)) return;
    const work = async (m: EntityManager) => {
      const inserted: unknown[] = await m.query(
        `INSERT INTO ${schemaIdentifier(this.store.schema)}.build_reports (build_id, slot) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
        [buildId, slot],
      );
      if (inserted.length > 0) await this.store.append(applierStream(config), 'any', [event], { manager: m });
    };
    if (manager) return work(manager);
    await transactWithRetry(this.store.dataSource, work);
    if (this.written.size > 10_000) this.written.clear();
    this.written.add(key);
  }
}
