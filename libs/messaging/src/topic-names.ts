import { deadLetterTopic } from '@sluice/contracts';

/**
 * Maps logical topic names (the contracts' `sluice.scm.v1`) to physical ones. The prefix
 * lets concurrent test files share one broker without seeing each other's messages.
 */
export class TopicNames {
  constructor(private readonly prefix = '') {}

  physical(logical: string): string {
    return `${this.prefix}${logical}`;
  }

  logical(physical: string): string {
    return physical.startsWith(this.prefix) ? physical.slice(this.prefix.length) : physical;
  }
}

export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith(deadLetterTopic(''));
}
