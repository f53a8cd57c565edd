import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideBranchMove, pushedHeadOf, type BranchPush } from './branch-move';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const ZERO = '0'.repeat(40);
const push = (before: string, after: string, extra: Partial<BranchPush> = {}): BranchPush => ({ before, after, deleted: false, forced: false, ...extra });

describe('decideBranchMove: a branch head moves only forward', () => {
  it('an unknown branch takes the pushed head; a deletion of it changes nothing', () => {
    assert.deepEqual(decideBranchMove(null, push(ZERO, A)), { kind: 'move', forced: false });
    assert.deepEqual(decideBranchMove(null, push(A, B)), { kind: 'move', forced: false });
    assert.deepEqual(decideBranchMove(null, push(A, ZERO, { deleted: true })), { kind: 'delete' });
  });

  it('a push whose before is the stored head continues it, forced as GitHub says', () => {
    assert.deepEqual(decideBranchMove(A, push(A, B)), { kind: 'move', forced: false });
    assert.deepEqual(decideBranchMove(A, push(A, C, { forced: true })), { kind: 'move', forced: true });
    assert.deepEqual(decideBranchMove(A, push(A, ZERO, { deleted: true })), { kind: 'delete' });
  });

  it('any other push needs the relation of the pushed head to the stored one', () => {
    assert.equal(decideBranchMove(C, push(A, B)), null);
    assert.equal(decideBranchMove(C, push(ZERO, B, { forced: false })), null, 'a replayed creation of a known branch is checked too');
  });

  it('ahead moves; behind and identical are older pushes and are ignored', () => {
    assert.deepEqual(decideBranchMove(A, push(B, C), 'ahead'), { kind: 'move', forced: false });
    assert.deepEqual(decideBranchMove(C, push(A, B), 'behind'), { kind: 'ignore', relation: 'behind' });
    assert.deepEqual(decideBranchMove(C, push(B, C), 'identical'), { kind: 'ignore', relation: 'identical' });
    assert.deepEqual(decideBranchMove(C, push(A, B, { forced: true }), 'behind'), { kind: 'ignore', relation: 'behind' }, 'forced does not allow going back');
  });

  it('a head without common history moves only when GitHub reported the push as forced', () => {
    assert.deepEqual(decideBranchMove(C, push(A, B, { forced: true }), 'diverged'), { kind: 'move', forced: true });
    assert.deepEqual(decideBranchMove(C, push(A, B, { forced: true }), 'unrelated'), { kind: 'move', forced: true });
    assert.deepEqual(decideBranchMove(C, push(A, B), 'diverged'), { kind: 'ignore', relation: 'diverged' });
    assert.deepEqual(decideBranchMove(C, push(A, B), 'unrelated'), { kind: 'ignore', relation: 'unrelated' });
  });

  it('a deletion is judged by the head it deleted: a deletion of an older head is stale', () => {
    const deletion = push(B, ZERO, { deleted: true });
    assert.equal(pushedHeadOf(deletion), B);
    assert.deepEqual(decideBranchMove(A, deletion, 'ahead'), { kind: 'delete' });
    assert.deepEqual(decideBranchMove(C, deletion, 'behind'), { kind: 'ignore', relation: 'behind' });
    assert.deepEqual(decideBranchMove(C, deletion, 'unrelated'), { kind: 'ignore', relation: 'unrelated' });
  });
});
