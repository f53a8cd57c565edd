import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decidePreviews, emptyPreviews, evolvePreviews, previewName, type PreviewCommand, type PreviewConfig, type PreviewState } from './previews';

const config: PreviewConfig = {
  name: 'billing-api',
  team: 'payments',
  artifactRepo: 'acme/billing',
  artifactImage: 'ghcr.io/acme/billing',
  artifactBuild: null,
  configRepo: 'acme/config',
  path: 'deploy/billing-api',
  configSha: 'c'.repeat(40),
  previews: { slots: 2, ttlSeconds: 3600, namespace: 'payments-preview', host: 'pr-{pr}.billing.example.com' },
};
const t0 = new Date('2026-12-04T10:00:00Z');
let ids = 0;
const deploy = (pr: number, headSha: string, now = t0): PreviewCommand => ({
  type: 'DeployPreview',
  config,
  pr,
  headSha,
  headRef: `feature-${pr}`,
  imageTag: `feature-${pr}-${headSha.slice(0, 7)}`,
  previewId: `0190e7a0-0000-7000-8000-${String(++ids).padStart(12, '0')}`,
  now,
  requestedBy: 'autodeploy',
});
/** Decides and folds, as the stream would. */
function run(state: PreviewState, command: PreviewCommand) {
  const events = decidePreviews(command, state);
  return { events, state: events.reduce(evolvePreviews, state) };
}

describe('preview slots (docs/architecture.md §1 "Previews")', () => {
  it('deploys a pull request into the lowest free slot, as <config>-pr-<n> in the previews namespace with its URL and expiry', () => {
    const { events, state } = run(emptyPreviews, deploy(7, 'a'.repeat(40)));
    assert.equal(events.length, 1);
    assert.deepEqual(
      { ...events[0]!.data, previewId: undefined },
      {
        previewId: undefined,
        config: 'billing-api',
        team: 'payments',
        repo: 'acme/billing',
        pr: 7,
        headSha: 'a'.repeat(40),
        namespace: 'payments-preview',
        name: 'billing-api-pr-7',
        slot: 1,
        headRef: 'feature-7',
        configRepo: 'acme/config',
        path: 'deploy/billing-api',
        configSha: 'c'.repeat(40),
        artifactImage: 'ghcr.io/acme/billing',
        imageTag: 'feature-7-aaaaaaa',
        url: 'https://pr-7.billing.example.com',
        expiresAt: '2026-12-04T11:00:00.000Z',
        requestedBy: 'autodeploy',
      },
    );
    assert.equal(state.slots.get(1)?.pr, 7);
  });

  it('the same head again changes nothing; a new push redeploys into the same slot with a later expiry', () => {
    let { state } = run(emptyPreviews, deploy(7, 'a'.repeat(40)));
    ({ state } = run(state, deploy(8, 'b'.repeat(40))));
    assert.deepEqual(run(state, deploy(7, 'a'.repeat(40), new Date(t0.getTime() + 60_000))).events, []);
    const pushed = run(state, deploy(7, 'd'.repeat(40), new Date(t0.getTime() + 600_000)));
    assert.equal(pushed.events.length, 1);
    assert.equal(pushed.events[0]!.data.slot, 1);
    assert.equal((pushed.events[0]!.data as { expiresAt: string }).expiresAt, '2026-12-04T11:10:00.000Z');
    assert.equal(pushed.state.slots.get(1)?.headSha, 'd'.repeat(40));
  });

  it('with every slot taken, the preview that expires first is evicted and the new pull request takes its slot', () => {
    let { state } = run(emptyPreviews, deploy(7, 'a'.repeat(40)));
    ({ state } = run(state, deploy(8, 'b'.repeat(40), new Date(t0.getTime() + 1000))));
    // PR 7 pushed again: it now expires last, so PR 8's slot goes.
    ({ state } = run(state, deploy(7, 'd'.repeat(40), new Date(t0.getTime() + 2000))));
    const third = run(state, deploy(9, 'e'.repeat(40), new Date(t0.getTime() + 3000)));
    assert.deepEqual(
      third.events.map((e) => [e.type, e.data.pr, e.data.slot, 'reason' in e.data ? e.data.reason : null]),
      [
        ['preview.released', 8, 2, 'evicted'],
        ['preview.deployed', 9, 2, null],
      ],
    );
    assert.deepEqual([...third.state.slots.values()].map((s) => s.pr).sort(), [7, 9]);
  });

  it('a closed pull request releases its slot at once; a closed one without a slot records nothing', () => {
    const { state } = run(emptyPreviews, deploy(7, 'a'.repeat(40)));
    const closed = run(state, { type: 'ReleasePreview', repo: 'acme/billing', pr: 7, reason: 'merged' });
    assert.deepEqual(closed.events.map((e) => [e.type, 'reason' in e.data ? e.data.reason : null]), [['preview.released', 'merged']]);
    assert.equal(closed.state.slots.size, 0);
    assert.deepEqual(decidePreviews({ type: 'ReleasePreview', repo: 'acme/billing', pr: 99, reason: 'closed' }, state), []);
    assert.deepEqual(decidePreviews({ type: 'ReleasePreview', repo: 'acme/other', pr: 7, reason: 'closed' }, state), [], 'another repository’s PR 7');
  });

  it('the sweeper releases what expired, and only that', () => {
    let { state } = run(emptyPreviews, deploy(7, 'a'.repeat(40)));
    ({ state } = run(state, deploy(8, 'b'.repeat(40), new Date(t0.getTime() + 1800_000))));
    const swept = run(state, { type: 'ExpirePreviews', now: new Date(t0.getTime() + 3600_000) });
    assert.deepEqual(swept.events.map((e) => [e.data.pr, 'reason' in e.data ? e.data.reason : null]), [[7, 'expired']]);
    assert.deepEqual([...swept.state.slots.keys()], [2]);
    assert.equal(run(state, { type: 'ReleaseAll', reason: 'config-removed' }).state.slots.size, 0);
  });

  it('names stay DNS labels', () => {
    assert.equal(previewName('billing-api', 12), 'billing-api-pr-12');
    const long = previewName('a'.repeat(60), 12345);
    assert.equal(long.length <= 63, true);
    assert.match(long, /^a+-pr-12345$/);
  });
});
