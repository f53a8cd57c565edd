import { receivedStream, receiveEvent, ViewReplay, type EventStore, type SchemaProjection } from '@sluice/event-store';
import { parseEvent, type SluiceEvent } from '@sluice/contracts';
import { createLogger } from '@sluice/platform';
import type { DataSource, EntityManager } from 'typeorm';
import { projectPreviewFacts } from '../application/preview-facts-projection';
import { PgPreviewFacts, PREVIEW_FACTS_TABLES } from './pg-preview-facts';

const log = createLogger('previews.replay');

/** The consumer whose input events the previews keep: its copies are theirs alone (`receiveEvent`'s `forConsumer`). */
export const PREVIEWS_CONSUMER = 'previews';
export const PREVIEW_FACTS_VIEWS = 'previews.facts';
export const previewFactsWritersLock = (schema: string): string => `sluice-${schema}-preview-facts-writers`;
const KEPT = receivedStream('', PREVIEWS_CONSUMER);

/** An input of the previews, first in their consumer's inbox transaction: the writers' lock, and the event kept for them in the host's log. */
export function receivePreviewInput(manager: EntityManager, store: EventStore, event: SluiceEvent): Promise<void> {
  return receiveEvent(manager, store, event, previewFactsWritersLock(store.schema), PREVIEWS_CONSUMER);
}

const projectPreviewFactsLog: SchemaProjection = async (events, manager, schema) => {
  const facts = new PgPreviewFacts(schema);
  for (const e of events) if (e.stream.startsWith(KEPT)) await projectPreviewFacts(parseEvent(e), manager, facts);
};

/**
 * The previews' facts (configs with previews, pull requests, green builds) rebuilt blue/green from
 * the inputs their consumer kept in the host's log, swapped in while that consumer's transactions
 * wait (docs/architecture.md §4 "Rebuilding views"). Refused (409) when facts were written before
 * the inputs were kept.
 */
export class PreviewFactsReplay extends ViewReplay {
  constructor(dataSource: DataSource, schema: string, options: { batchSize?: number } = {}) {
    super(dataSource, { wake: () => undefined }, {
      schema,
      checkpoint: PREVIEW_FACTS_VIEWS,
      tables: PREVIEW_FACTS_TABLES,
      project: projectPreviewFactsLog,
      writersLock: previewFactsWritersLock(schema),
      batchSize: options.batchSize,
      logger: log,
      completeness: {
        table: 'preview_facts_log',
        code: 'preview_facts_log_incomplete',
        lacking: 'the previews recorded pull requests, green builds or configs from inputs they did not yet keep in the log',
      },
    });
  }
}
