import { APPLIER_STREAM_PREFIX, type SluiceEvent } from '@sluice/contracts';
import type { Transaction } from '@sluice/event-store';
import { v7 as uuidv7 } from 'uuid';
import { DRIFT_TYPE, LOG_TYPE, STEP_TYPE, isBuildReportType, isOutcomeType, type BuildReport, type DriftReport, type LogReport, type OutcomeEvent, type StepReport } from '../domain/config-events';
import type { ConfigCommands } from './config-commands';
import type { RepoKnowledge } from './ports';

/**
 * Records kube-applier's reports in the config's stream (one stream holds a config's whole
 * history): deploy outcomes and steps — when one ends the deploy in flight, the queued one is requested
 * next —, build reports — a build that succeeded deploys its image (§1 "Builds") — and drift of a
 * GitOps target (§1 "GitOps target").
 */
export class OutcomesHandler {
  constructor(
    private readonly commands: ConfigCommands,
    private readonly knowledge: RepoKnowledge,
  ) {}

  async handle(event: SluiceEvent, m: Transaction): Promise<void> {
    if (!event.stream.startsWith(APPLIER_STREAM_PREFIX)) return;
    if (isOutcomeType(event.type)) {
      const outcome = { type: event.type, data: event.data } as OutcomeEvent;
      await this.commands.execute(outcome.data.config, () => ({ type: 'RecordOutcome', outcome }), { manager: m, causationId: event.id });
      return;
    }
    if (event.type === STEP_TYPE) {
      const report = { type: event.type, data: event.data } as StepReport;
      await this.commands.execute(report.data.config, () => ({ type: 'RecordStep', report }), { manager: m, causationId: event.id });
      return;
    }
    if (event.type === LOG_TYPE) {
      const report = { type: event.type, data: event.data } as LogReport;
      await this.commands.execute(report.data.config, () => ({ type: 'RecordLog', report }), { manager: m, causationId: event.id });
      return;
    }
    if (event.type === DRIFT_TYPE) {
      const report = { type: event.type, data: event.data } as DriftReport;
      await this.commands.execute(report.data.config, () => ({ type: 'RecordDrift', report }), { manager: m, causationId: event.id });
      return;
    }
    if (!isBuildReportType(event.type)) return;
    const report = { type: event.type, data: event.data } as BuildReport;
    await this.commands.execute(
      report.data.config,
      async (state, manager) => ({
        type: 'RecordBuildReport',
        report,
        configHead: state.root ? await this.knowledge.defaultBranchHead(manager, state.root.configRepo) : null,
        deployId: uuidv7(),
      }),
      { manager: m, causationId: event.id },
    );
  }
}
