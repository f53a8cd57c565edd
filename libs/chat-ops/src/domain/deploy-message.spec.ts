import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actorMention, closestNames, renderDeployMessage } from './deploy-message';

describe('renderDeployMessage', () => {
  const base = {
    deployId: '01a23f4c-17d5-779f-85f4-720e1229d4f5',
    config: 'billing-api',
    imageTag: 'main-abc1234',
    artifactSha: 'abc1234'.padEnd(40, '0'),
    configSha: null,
    requestedBy: 'slack:T0SLUICE01/U0ALICE01',
    reason: 'r',
    failure: null,
    link: 'https://sluice.example/api/deploys/01a23f4c-17d5-779f-85f4-720e1229d4f5',
  };

  it('says each phase in words, mentions who asked, links the deploy and offers Roll back', () => {
    assert.equal(renderDeployMessage({ ...base, phase: 'queued' }).text, 'Deploy of billing-api (main-abc1234): queued');
    assert.equal(renderDeployMessage({ ...base, phase: 'succeeded' }).text, 'Deploy of billing-api (main-abc1234): healthy');
    const { blocks } = renderDeployMessage({ ...base, phase: 'applying' });
    const json = JSON.stringify(blocks);
    assert.match(json, /<@U0ALICE01>/);
    assert.match(json, /https:\/\/sluice\.example\/api\/deploys\//);
    const actions = blocks.find((b) => b['type'] === 'actions') as { elements: Array<{ action_id: string; value: string; confirm?: unknown }> };
    assert.deepEqual([actions.elements[0]!.action_id, actions.elements[0]!.value], ['rollback', base.deployId]);
    assert.ok(actions.elements[0]!.confirm, 'a confirmation before rolling back');
  });

  it('shows why a deploy failed', () => {
    const { blocks } = renderDeployMessage({ ...base, phase: 'failed', failure: 'ImagePullBackOff: main-abc1234 not found' });
    assert.match(JSON.stringify(blocks), /:x: Deploy of billing-api \(main-abc1234\): failed\\n>ImagePullBackOff/);
  });
});

describe('actorMention and closestNames', () => {
  it('mentions a Slack actor, names any other', () => {
    assert.equal(actorMention('slack:T1/U0ALICE01'), '<@U0ALICE01>');
    assert.equal(actorMention('team:payments'), 'team:payments');
  });

  it('suggests the configs closest to a mistyped name, nearest first', () => {
    assert.deepEqual(closestNames('biling-api', ['billing-api', 'billing-worker', 'web', 'docs']), ['billing-api']);
    assert.deepEqual(closestNames('billing', ['billing-api', 'billing-worker', 'web']), ['billing-api', 'billing-worker']);
    assert.deepEqual(closestNames('zzz', ['billing-api']), []);
  });
});
