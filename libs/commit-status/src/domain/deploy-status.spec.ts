import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventData } from '@sluice/contracts';
import { deployRequestedData } from '../testing/events';
import { evolveDeployStatus, type DeployStatusEvent, type DeployStatusState } from './deploy-status';

const A = 'a'.repeat(40);
const C = 'c'.repeat(40);
const D1 = '0190a0a0-0000-7000-8000-000000000001';
const D2 = '0190a0a0-0000-7000-8000-000000000002';

const requested = (over: Partial<EventData<'deploy.requested'>> = {}): DeployStatusEvent => ({
  type: 'deploy.requested',
  data: deployRequestedData({ deployId: D1, artifactSha: A, configSha: C, ...over }),
});

function run(events: DeployStatusEvent[], start: DeployStatusState | null = null) {
  let state = start;
  const seen: Array<Pick<DeployStatusState, 'repo' | 'sha' | 'phase'>> = [];
  for (const e of events) {
    const next = evolveDeployStatus(state, e);
    if (next) {
      state = next;
      seen.push({ repo: next.repo, sha: next.sha, phase: next.phase });
    }
  }
  return { state, seen };
}

test('artifactful config: the status is on the artifact commit, queued → in_progress → success', () => {
  const { seen } = run([
    requested(),
    { type: 'deploy.started', data: { deployId: D1, config: 'billing-api' } },
    { type: 'deploy.applied', data: { deployId: D1, config: 'billing-api', dryRun: false, inventory: [] } },
    { type: 'deploy.succeeded', data: { deployId: D1, config: 'billing-api' } },
  ]);
  assert.deepEqual(
    seen.map((s) => `${s.repo}@${s.sha.slice(0, 1)}:${s.phase}`),
    ['acme/billing@a:queued', 'acme/billing@a:in_progress', 'acme/billing@a:in_progress', 'acme/billing@a:success'],
  );
});

test('artifactless config: the status is on the config commit', () => {
  const { state } = run([requested({ artifactRepo: null, artifactImage: null, artifactSha: null, imageTag: null })]);
  assert.equal(state?.repo, 'acme/deploy');
  assert.equal(state?.sha, C);
});

test("the status goes to the provider its repository lives on: the artifact repository's as told, the config repository's from the request", () => {
  assert.equal(evolveDeployStatus(null, requested(), 'gitlab')?.provider, 'gitlab');
  assert.equal(evolveDeployStatus(null, requested(), 'bitbucket')?.provider, 'bitbucket');
  const github = evolveDeployStatus(null, requested());
  assert.equal(github && 'provider' in github, false, "a GitHub repository's state is as before");
  const artifactless = { artifactRepo: null, artifactImage: null, artifactSha: null, imageTag: null };
  assert.equal(evolveDeployStatus(null, requested({ ...artifactless, configRepoProvider: 'bitbucket' }), 'gitlab')?.provider, 'bitbucket');
  assert.equal(evolveDeployStatus(null, requested(artifactless), 'gitlab')?.provider, undefined);
});

test('failure and superseded map to failure and canceled', () => {
  assert.equal(run([requested(), { type: 'deploy.failed', data: { deployId: D1, config: 'billing-api', reason: 'Invalid', message: 'bad manifest', terminal: true } }]).state?.phase, 'failure');
  assert.equal(run([requested(), { type: 'deploy.superseded', data: { deployId: D1, config: 'billing-api', supersededBy: D2 } }]).state?.phase, 'canceled');
});

test('outcomes delivered twice or out of order never step back; outcomes of an older deploy are ignored', () => {
  const { seen, state } = run([
    requested(),
    { type: 'deploy.succeeded', data: { deployId: D1, config: 'billing-api' } },
    { type: 'deploy.started', data: { deployId: D1, config: 'billing-api' } },
    { type: 'deploy.succeeded', data: { deployId: D1, config: 'billing-api' } },
    requested({ deployId: D2, artifactSha: 'b'.repeat(40) }),
    { type: 'deploy.failed', data: { deployId: D1, config: 'billing-api', reason: 'x', message: '', terminal: true } },
  ]);
  assert.deepEqual(seen.map((s) => s.phase), ['queued', 'success', 'queued']);
  assert.equal(state?.deployId, D2);
});

test('a repeated request of the same deploy and an undeploy (no commit) change nothing', () => {
  const first = evolveDeployStatus(null, requested())!;
  assert.equal(evolveDeployStatus(first, requested()), null);
  assert.equal(evolveDeployStatus(null, requested({ artifactRepo: null, artifactImage: null, artifactSha: null, configSha: null, imageTag: null })), null);
});

test('#23: a new request records the commit it replaces and the last phase seen there (spec.previous)', () => {
  const B = 'b'.repeat(40);
  const { state } = run([
    requested(),
    { type: 'deploy.succeeded', data: { deployId: D1, config: 'billing-api' } },
    requested({ deployId: D2, artifactSha: B }),
    { type: 'deploy.started', data: { deployId: D2, config: 'billing-api' } },
  ]);
  assert.equal(state?.sha, B);
  assert.equal(state?.phase, 'in_progress');
  assert.deepEqual(state?.previous, { deployId: D1, repo: 'acme/billing', sha: A, phase: 'success', description: 'Deployed to payments' });
});

test('#23: a replaced deploy that reached no final phase does not push out an earlier final phase the controller may not have written', () => {
  const B = 'b'.repeat(40);
  const E = 'e'.repeat(40);
  const D3 = '0190a0a0-0000-7000-8000-000000000003';
  const { state } = run([
    requested(),
    { type: 'deploy.succeeded', data: { deployId: D1, config: 'billing-api' } },
    requested({ deployId: D2, artifactSha: B }),
    requested({ deployId: D3, artifactSha: E }),
  ]);
  assert.equal(state?.sha, E);
  assert.deepEqual(state?.previous && [state.previous.sha, state.previous.phase], [A, 'success']);
  // A replaced deploy that reached a final phase, or one replacing a non-final one, is the previous.
  const failedB = run([requested(), requested({ deployId: D2, artifactSha: B }), { type: 'deploy.failed', data: { deployId: D2, config: 'billing-api', reason: 'x', message: '', terminal: true } }, requested({ deployId: D3, artifactSha: E })]).state;
  assert.deepEqual(failedB?.previous && [failedB.previous.sha, failedB.previous.phase], [B, 'failure']);
  const queuedB = run([requested(), requested({ deployId: D2, artifactSha: B }), requested({ deployId: D3, artifactSha: E })]).state;
  assert.deepEqual(queuedB?.previous && [queuedB.previous.sha, queuedB.previous.phase], [B, 'queued']);
});

test('#23: a new deploy of the same commit keeps the previous commit (the status does not move)', () => {
  const B = 'b'.repeat(40);
  const D3 = '0190a0a0-0000-7000-8000-000000000003';
  const { state } = run([
    requested(),
    { type: 'deploy.succeeded', data: { deployId: D1, config: 'billing-api' } },
    requested({ deployId: D2, artifactSha: B }),
    { type: 'deploy.failed', data: { deployId: D2, config: 'billing-api', reason: 'x', message: '', terminal: true } },
    requested({ deployId: D3, artifactSha: B }),
  ]);
  assert.equal(state?.deployId, D3);
  assert.deepEqual(state?.previous && [state.previous.sha, state.previous.phase], [A, 'success']);
});
