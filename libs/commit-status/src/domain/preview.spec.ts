import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previewDeployedData, previewRefOf } from '../testing/events';
import { evolvePreview, previewCommentBody, previewCommentMarker, previewEnvironment, type PreviewEvent, type PreviewState } from './preview';

const P1 = '0190a0a0-0000-7000-8000-0000000000a1';
const P2 = '0190a0a0-0000-7000-8000-0000000000a2';
const first = previewDeployedData({ previewId: P1, headSha: '1'.repeat(40) });
const second = previewDeployedData({ previewId: P2, headSha: '2'.repeat(40), expiresAt: '2026-12-07T10:00:00.000Z' });

const deployed = (data: typeof first, streamVersion: number): PreviewEvent => ({ type: 'preview.deployed', streamVersion, data });
const applied = (data: typeof first, ok: boolean, message = ''): PreviewEvent => ({
  type: 'preview.applied',
  streamVersion: 1,
  data: { ...previewRefOf(data), ok, message, url: ok ? data.url : null, objects: 3 },
});
const released = (data: typeof first, streamVersion: number): PreviewEvent => ({ type: 'preview.released', streamVersion, data: { ...previewRefOf(data), reason: 'merged' } });

function run(events: PreviewEvent[]): { state: PreviewState | null; phases: string[] } {
  let state: PreviewState | null = null;
  const phases: string[] = [];
  for (const e of events) {
    const next = evolvePreview(state, e);
    if (next) {
      state = next;
      phases.push(`${next.previewId.slice(-2)}:${next.phase}`);
    }
  }
  return { state, phases };
}

test('deployed → applied → a new push → applied → released; repeats change nothing', () => {
  const { state, phases } = run([
    deployed(first, 1),
    deployed(first, 1),
    applied(first, true),
    applied(first, true),
    deployed(second, 2),
    applied(second, true),
    released(second, 3),
    released(second, 3),
    applied(second, true),
  ]);
  assert.deepEqual(phases, ['a1:in_progress', 'a1:success', 'a2:in_progress', 'a2:success', 'a2:inactive']);
  assert.equal(state?.releaseReason, 'merged');
  assert.deepEqual(state?.superseded, [P1]);
});

test('events of an earlier preview never move the pull request back', () => {
  const { state, phases } = run([deployed(first, 1), deployed(second, 2), applied(first, false, 'boom'), deployed(first, 5), released(first, 6)]);
  assert.deepEqual(phases, ['a1:in_progress', 'a2:in_progress']);
  assert.equal(state?.headSha, '2'.repeat(40));
  // An unseen preview older in the stream than the one taken: ignored too.
  const p3 = previewDeployedData({ previewId: '0190a0a0-0000-7000-8000-0000000000a3' });
  assert.equal(evolvePreview(state, deployed(p3, 1)), null);
});

test('a failed apply: failure with the message; the url stays off until applied', () => {
  const { state } = run([deployed(first, 1), applied(first, false, 'ImagePullBackOff')]);
  assert.equal(state?.phase, 'failure');
  assert.equal(state?.message, 'ImagePullBackOff');
  const body = previewCommentBody(state!);
  assert.match(body, /failed/);
  assert.match(body, /ImagePullBackOff/);
});

test('the comment: marker, state, URL, image tag, head sha, expiry; on release why', () => {
  const { state } = run([deployed(first, 1), applied(first, true)]);
  const body = previewCommentBody(state!);
  assert.ok(body.startsWith(previewCommentMarker('billing-api')));
  for (const part of ['ready', first.url!, first.imageTag, first.headSha.slice(0, 12), first.expiresAt]) assert.ok(body.includes(part), part);
  const gone = evolvePreview(state, released(first, 2))!;
  assert.match(previewCommentBody(gone), /released/);
  assert.match(previewCommentBody(gone), /merged/);
  assert.equal(previewEnvironment('billing-api', 7), 'preview/billing-api/pr-7');
});
