import { applierStream, newEvent } from '@sluice/contracts';
import type { EventStore, Transaction } from '@sluice/event-store';
import type { DriftReports, GitOpsDrift } from '../application/ports';

/** `gitops.drift.detected` on the config's applier stream (autodeploy records it in the config's). */
export class EventStoreDriftReports implements DriftReports {
  constructor(private readonly store: EventStore) {}

  async report(manager: Transaction, drift: GitOpsDrift, cause: { correlationId: string; causationId: string }): Promise<void> {
    await this.store.append(applierStream(drift.config), 'any', [{ ...newEvent('gitops.drift.detected', { ...drift }), ...cause }], { manager });
  }
}
