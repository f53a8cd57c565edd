import type { EventEnvelope } from '@sluice/contracts';
import type { IHeaders } from 'kafkajs';
import type { DeadLetterInfo } from './port';

/**
 * Headers on every published message, so tools (and the dead-letter reader) can see what
 * a message is without parsing its value.
 */
export function envelopeHeaders(envelope: EventEnvelope): IHeaders {
  return { type: envelope.type, version: String(envelope.version), correlationId: envelope.correlationId };
}

const DLQ = {
  group: 'sluice-dlq-group',
  error: 'sluice-dlq-error',
  attempts: 'sluice-dlq-attempts',
  topic: 'sluice-dlq-original-topic',
  partition: 'sluice-dlq-original-partition',
  offset: 'sluice-dlq-original-offset',
} as const;

/** Long stack-less messages are enough to triage; a header is not a log file. */
const MAX_ERROR_HEADER_LENGTH = 2000;

export function deadLetterHeaders(info: DeadLetterInfo): IHeaders {
  return {
    [DLQ.group]: info.group,
    [DLQ.error]: info.error.slice(0, MAX_ERROR_HEADER_LENGTH),
    [DLQ.attempts]: String(info.attempts),
    [DLQ.topic]: info.originalTopic,
    [DLQ.partition]: String(info.originalPartition),
    [DLQ.offset]: info.originalOffset,
  };
}

/** The dead-letter details of a consumed message, or undefined if it was never dead-lettered. */
export function readDeadLetterHeaders(headers: IHeaders | undefined): DeadLetterInfo | undefined {
  const error = headerText(headers, DLQ.error);
  if (error === undefined) return undefined;
  return {
    group: headerText(headers, DLQ.group) ?? '',
    error,
    attempts: Number(headerText(headers, DLQ.attempts) ?? 0),
    originalTopic: headerText(headers, DLQ.topic) ?? '',
    originalPartition: Number(headerText(headers, DLQ.partition) ?? -1),
    originalOffset: headerText(headers, DLQ.offset) ?? '',
  };
}

export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const single = Array.isArray(value) ? value[value.length - 1] : value;
  if (single === undefined) return undefined;
  return Buffer.isBuffer(single) ? single.toString('utf8') : String(single);
}

/** The headers a message had before it was dead-lettered (for redriving it). */
export function withoutDeadLetterHeaders(headers: IHeaders | undefined): IHeaders {
  const dropped = new Set<string>(Object.values(DLQ));
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !dropped.has(name)));
}
