/**
 * How a pushed head relates to the stored one: the SCM's compare status (`ahead`: it
 * descends from the stored head), or `unrelated` (no common history, or a commit the SCM
 * does not know).
 */
export type HeadRelation = 'ahead' | 'behind' | 'identical' | 'diverged' | 'unrelated';

/** What a branch push asks for, as far as moving the head goes. */
export interface BranchPush {
  readonly before: string;
  readonly after: string;
  readonly deleted: boolean;
  readonly forced: boolean;
}

export type BranchMove =
  | { readonly kind: 'move'; readonly forced: boolean }
  | { readonly kind: 'delete' }
  | { readonly kind: 'ignore'; readonly relation: Exclude<HeadRelation, 'ahead'> };

/**
 * The commit whose ancestry decides a push when its `before` is not the stored head: the
 * new head, or for a deletion the head it deleted (a deletion of an older head is stale).
 */
export function pushedHeadOf(push: BranchPush): string {
  return push.deleted ? push.before : push.after;
}

/**
 * A push moves a branch head only forward. Without a stored head (an unknown or deleted
 * branch) it is the first we know of; a `before` equal to the stored head continues it.
 * Otherwise `relation` — how the pushed head relates to the stored one — decides: `ahead`
 * moves; `behind`/`identical` is an older (replayed or late) push and is ignored; a head
 * without common history moves only when GitHub reported the push as forced.
 * Returns null when the relation is needed and not given (ask the SCM, then decide again).
 */
export function decideBranchMove(known: string | null, push: BranchPush, relation?: HeadRelation): BranchMove | null {
  if (known === null) return push.deleted ? { kind: 'delete' } : { kind: 'move', forced: false };
  if (push.before === known) return push.deleted ? { kind: 'delete' } : { kind: 'move', forced: push.forced };
  if (relation === undefined) return null;
  if (push.deleted) return relation === 'ahead' || relation === 'identical' ? { kind: 'delete' } : { kind: 'ignore', relation };
  if (relation === 'ahead') return { kind: 'move', forced: false };
  if ((relation === 'diverged' || relation === 'unrelated') && push.forced) return { kind: 'move', forced: true };
  return { kind: 'ignore', relation };
}
