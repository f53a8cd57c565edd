import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Topics } from '@sluice/contracts';
import { relayTopicFor, type StoredEvent } from '@sluice/event-store';
import { OUTCOME_TYPES } from '../../domain/config-events';
import { autodeployTopicFor } from './topic-for';

const stored = (type: string, stream = 'config-a'): StoredEvent =>
  ({ id: 'x', type, version: 1, stream, streamVersion: 1, occurredAt: '', correlationId: 'x', causationId: null, data: {}, position: { transactionId: '1', globalPosition: '1' } }) as StoredEvent;

describe('autodeployTopicFor (what the outbox relay publishes)', () => {
  it('publishes decisions on sluice.deploy.v1', () => {
    for (const type of ['deploy.requested', 'deploy.skipped', 'deploy.queued', 'undeploy.requested', 'deploy.superseded', 'deploy.rejected', 'config.registered', 'config.removed', 'config.pinned', 'config.unpinned']) {
      assert.equal(autodeployTopicFor(stored(type)), Topics.deploy, type);
    }
  });

  it('does not publish again the outcomes recorded from kube-applier', () => {
    for (const type of OUTCOME_TYPES) assert.equal(autodeployTopicFor(stored(type)), null, type);
  });

  it('does not publish again, through the relay, the other services\' events it keeps for its views', () => {
    const relayed = relayTopicFor(autodeployTopicFor);
    assert.equal(relayed(stored('repo.branch.updated', 'received-repo-acme/app')), null);
    assert.equal(relayed(stored('repo.config.changed', 'received:previews:repo-acme/app')), null);
    assert.equal(relayed(stored('team.policy.set', 'received-cluster-team-policy-web')), null);
    assert.equal(relayed(stored('team.policy.set', 'team-policy-web')), Topics.auth, 'its own policies are published');
  });

  it('publishes nothing of an unknown type', () => {
    assert.equal(autodeployTopicFor(stored('something.else')), null);
  });
});
