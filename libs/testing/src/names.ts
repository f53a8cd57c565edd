import { randomBytes } from 'node:crypto';

/** `prefix-<random>` in lowercase letters and digits: for databases, topics, groups, namespaces. */
export function uniqueName(prefix: string, separator = '-'): string {
  return `${prefix}${separator}${randomBytes(5).toString('hex')}`;
}
