import type { StatusFields } from '../model';

/** The commit a status is written on, for mappings that need it (Bitbucket's required url). */
export interface MappingTarget {
  readonly fullName: string;
  readonly sha: string;
}

/**
 * One provider's representation of a commit status: pure field and value mappings both
 * ways, and the provider fields that must be equal for the SCM to "hold the spec".
 * Matching is decided on the provider's own fields, so a phase that two CommitStatus
 * phases share (GitHub statuses have one `pending` for queued and in_progress) is not drift.
 */
export interface StatusMapping<P, W extends P = P> {
  /** e.g. "GitHub check run", used in drift messages. */
  readonly label: string;
  /** The payload to write (W: the writable subset of what is read back). */
  toPayload(fields: StatusFields, target: MappingTarget): W;
  fromPayload(payload: P): StatusFields;
  comparable(payload: P): Readonly<Record<string, string | null>>;
}

function norm(v: string | null | undefined): string | null {
  return v === undefined || v === null || v === '' ? null : v;
}

/** Provider fields that differ between the spec (rendered) and what the SCM holds: `field: want X, SCM has Y`. */
export function differences<P>(mapping: StatusMapping<P, P>, desired: StatusFields, target: MappingTarget, observed: P): string[] {
  const want = mapping.comparable(mapping.toPayload(desired, target));
  const have = mapping.comparable(observed);
  const out: string[] = [];
  for (const key of Object.keys(want)) {
    if (norm(want[key]) !== norm(have[key])) out.push(`${key}: want ${JSON.stringify(norm(want[key]))}, SCM has ${JSON.stringify(norm(have[key]))}`);
  }
  return out;
}

export function payloadMatches<P>(mapping: StatusMapping<P, P>, desired: StatusFields, target: MappingTarget, observed: P): boolean {
  return differences(mapping, desired, target, observed).length === 0;
}

/** Cuts text to a provider's limit, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
