import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '@sluice/kube';
import { aggregateHealth, workloadHealth } from './health';

const obj = (kind: string, spec: object, status: object, generation = 2): KubeObject => ({ apiVersion: 'apps/v1', kind, metadata: { name: 'w', generation }, spec, status });

describe('workloadHealth', () => {
  it('Deployment: progressing until the controller saw the generation and replicas are updated and available', () => {
    assert.equal(workloadHealth(obj('Deployment', { replicas: 2 }, { observedGeneration: 1 })).state, 'progressing');
    assert.equal(workloadHealth(obj('Deployment', { replicas: 2 }, { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 2, replicas: 2 })).state, 'progressing');
    assert.equal(workloadHealth(obj('Deployment', { replicas: 2 }, { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2, replicas: 3 })).state, 'progressing');
    assert.equal(workloadHealth(obj('Deployment', { replicas: 2 }, { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2, replicas: 2 })).state, 'healthy');
    assert.equal(workloadHealth(obj('Deployment', { replicas: 0 }, { observedGeneration: 2 })).state, 'healthy');
  });

  it('Deployment: a progress deadline the controller reported is a failure', () => {
    const h = workloadHealth(obj('Deployment', {}, { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'too slow' }] }));
    assert.deepEqual(h, { state: 'failed', reason: 'ProgressDeadlineExceeded', message: 'Deployment w: too slow' });
  });

  it('StatefulSet and DaemonSet', () => {
    assert.equal(workloadHealth(obj('StatefulSet', { replicas: 1 }, { observedGeneration: 2, updatedReplicas: 1, readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' })).state, 'progressing');
    assert.equal(workloadHealth(obj('StatefulSet', { replicas: 1 }, { observedGeneration: 2, updatedReplicas: 1, readyReplicas: 1, currentRevision: 'b', updateRevision: 'b' })).state, 'healthy');
    assert.equal(workloadHealth(obj('DaemonSet', {}, { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 })).state, 'progressing');
    assert.equal(workloadHealth(obj('DaemonSet', {}, { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 })).state, 'healthy');
  });

  it('Job: complete is healthy, failed is a failure', () => {
    assert.equal(workloadHealth(obj('Job', {}, {})).state, 'progressing');
    assert.equal(workloadHealth(obj('Job', {}, { conditions: [{ type: 'Complete', status: 'True' }] })).state, 'healthy');
    assert.equal(workloadHealth(obj('Job', {}, { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] })).state, 'failed');
  });

  it('aggregates: failed wins, then progressing; other kinds are healthy once applied', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    assert.equal(aggregateHealth([cm]).state, 'healthy');
    assert.equal(aggregateHealth([cm, obj('Job', {}, {})]).state, 'progressing');
    assert.equal(aggregateHealth([obj('Job', {}, {}), obj('Job', {}, { conditions: [{ type: 'Failed', status: 'True' }] })]).state, 'failed');
  });
});
