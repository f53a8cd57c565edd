import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy, type Provider, type Type } from '@nestjs/common';
import { EventStore, SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { createLogger, PeriodicTask } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { PreviewDecisions } from './application/preview-decisions';
import { PgPreviewFacts } from './adapters/pg-preview-facts';
import { PreviewFactsReplay } from './adapters/preview-facts-replay';
import { PREVIEW_DECISIONS, PreviewInputsConsumer } from './adapters/preview-inputs.consumer';

const PREVIEW_SWEEP = Symbol('PREVIEW_SWEEP');

export interface PreviewsOptions {
  /** How often expired previews are looked for (default 30 s). */
  readonly sweepIntervalMs?: number;
}

@Injectable()
class PreviewSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly task: PeriodicTask;
  constructor(
    @Inject(PREVIEW_DECISIONS) decisions: PreviewDecisions,
    @Inject(PREVIEW_SWEEP) private readonly intervalMs: number,
  ) {
    const log = createLogger('previews.sweeper');
    this.task = new PeriodicTask(
      async () => void (await decisions.expire()),
      (error) => log.warn({ err: error }, 'sweeping expired previews failed; the next pass tries again'),
    );
  }
  onApplicationBootstrap(): void {
    this.task.start(this.intervalMs);
  }
  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }
}

/**
 * The previews inside the service that hosts them (autodeploy, which holds the configs' decisions):
 * the consumer and providers to spread into the host's module (with `PreviewFactsReplay`, which the
 * host serves behind its own auth). Add `previewsMigrations` to the
 * host's migrations, and `Topics.scm` to the topics it makes sure of.
 */
export function previewsParts(schema: string, options: PreviewsOptions = {}): { controllers: Type[]; providers: Provider[] } {
  return {
    controllers: [PreviewInputsConsumer],
    providers: [
      { provide: PREVIEW_SWEEP, useValue: options.sweepIntervalMs ?? 30_000 },
      { provide: PREVIEW_DECISIONS, inject: [EventStore], useFactory: (store: EventStore) => new PreviewDecisions(store, new PgPreviewFacts(schema)) },
      PreviewSweeper,
      { provide: PreviewFactsReplay, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new PreviewFactsReplay(ds, schema) },
    ],
  };
}
