import type { DeadLetterInfo } from './port';

export interface LogEntry {
  readonly offset: number;
  /** The envelope as decoded JSON; validated on delivery, like a Kafka message value. */
  readonly value: unknown;
  readonly deadLetter?: DeadLetterInfo;
}

/**
 * One in-process topic: an append-only list with Kafka-like offsets (a single partition),
 * so a consumer group that subscribes late, or stops and subscribes again, resumes where
 * it was instead of missing what was published meanwhile.
 */
export class InProcessTopicLog {
  private entries: LogEntry[] = [];
  /** Offset of entries[0]; grows as consumed entries are trimmed. */
  private firstOffset = 0;

  get startOffset(): number {
    return this.firstOffset;
  }

  get endOffset(): number {
    return this.firstOffset + this.entries.length;
  }

  get size(): number {
    return this.entries.length;
  }

  append(value: unknown, deadLetter?: DeadLetterInfo): LogEntry {
    const entry: LogEntry = deadLetter ? { offset: this.endOffset, value, deadLetter } : { offset: this.endOffset, value };
    this.entries.push(entry);
    return entry;
  }

  at(offset: number): LogEntry | undefined {
    return this.entries[offset - this.firstOffset];
  }

  /** Drops entries below `offset` (no longer needed by any group). */
  trimBefore(offset: number): void {
    const count = Math.min(this.entries.length, offset - this.firstOffset);
    if (count <= 0) return;
    this.entries.splice(0, count);
    this.firstOffset += count;
  }
}
