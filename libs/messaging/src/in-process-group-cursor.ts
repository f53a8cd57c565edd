import type { MessagingLogger } from './logger';
import { describeError } from './logger';
import type { InProcessTopicLog, LogEntry } from './in-process-topic-log';
import type { MessageHandler } from './port';
import type { RetryPolicy } from './retry-policy';

/** One subscriber of a group, as the in-process bus sees it. */
export class GroupMember {
  /** The delivery currently running for this member, awaited by `stop()`. */
  inFlight: Promise<unknown> | null = null;
  private readonly controller = new AbortController();

  constructor(
    readonly handler: MessageHandler,
    readonly policy: RetryPolicy,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(): void {
    this.controller.abort();
  }
}

/** 'next' moves the cursor on (handled or dead-lettered); 'abandoned' keeps it for redelivery. */
export type EntryDelivery = (cursor: GroupCursor, entry: LogEntry, member: GroupMember) => Promise<'next' | 'abandoned'>;

/**
 * A consumer group's position in one topic and the serial loop that delivers from it:
 * one message at a time, in log order, which gives per-key order (and more). Like a
 * single-partition Kafka topic, only one member of a group consumes; the others take over
 * when it stops.
 */
export class GroupCursor {
  position: number;
  private readonly members: GroupMember[] = [];
  private pumping: Promise<void> | null = null;

  constructor(
    readonly group: string,
    readonly topic: string,
    private readonly log: InProcessTopicLog,
    private readonly deliver: EntryDelivery,
    private readonly onAdvance: () => void,
    private readonly logger: MessagingLogger,
  ) {
    this.position = log.startOffset;
  }

  addMember(member: GroupMember): void {
    this.members.push(member);
  }

  removeMember(member: GroupMember): void {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
  }

  get hasMembers(): boolean {
    return this.members.length > 0;
  }

  /** Starts delivering if there is work; returns the running loop (null when idle). */
  wake(): Promise<void> | null {
    if (!this.pumping && this.hasMembers && this.position < this.log.endOffset) {
      this.pumping = this.pump()
        .catch((error: unknown) => {
          // A bug in the bus itself; handler errors are caught long before this.
          this.logger.error({ group: this.group, topic: this.topic, err: describeError(error) }, 'in-process delivery loop failed');
        })
        .finally(() => {
          this.pumping = null;
        });
    }
    return this.pumping;
  }

  private async pump(): Promise<void> {
    for (;;) {
      const member = this.members[0];
      const entry = this.log.at(this.position);
      if (!member || !entry) return;
      const delivery = this.deliver(this, entry, member);
      member.inFlight = delivery;
      const outcome = await delivery;
      member.inFlight = null;
      // Abandoned means the member stopped mid-delivery: the entry stays for the next member.
      if (outcome === 'abandoned') {
        if (this.members[0] === member) return; // not stopped after all: never spin on the same entry
        continue;
      }
      this.position = entry.offset + 1;
      this.onAdvance();
    }
  }
}
