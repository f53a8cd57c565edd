import { APPLIER_STREAM_PREFIX, type SluiceEvent } from '@sluice/contracts';
import type { EntityManager } from 'typeorm';
import { isOutcomeType, type OutcomeEvent } from '../domain/config-events';
import type { ConfigCommands } from './config-commands';

/**
 * Records kube-applier's outcomes in the config's stream (one stream holds a config's
 * whole history) and, when the deploy in flight ended, requests the queued one.
 */
export class OutcomesHandler {
  constructor(private readonly commands: ConfigCommands) {}

  async handle(event: SluiceEvent, m: EntityManager): Promise<void> {
    if (!isOutcomeType(event.type) || !event.stream.startsWith(APPLIER_STREAM_PREFIX)) return;
    const outcome = { type: event.type, data: event.data } as OutcomeEvent;
    await this.commands.execute(outcome.data.config, () => ({ type: 'RecordOutcome', outcome }), { manager: m, causationId: event.id });
  }
}
