import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobFor, statusFor, type BuildRunObject } from './build-run';

const run = (status?: BuildRunObject['status']): BuildRunObject =>
  ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'BuildRun',
    metadata: { name: 'b-1', namespace: 'payments', uid: 'u-1' },
    spec: { config: 'billing-api', target: 'staging', repo: 'acme/billing', ref: 'main', commitSha: 'a'.repeat(40), image: 'img:1', command: ['make'], timeoutSeconds: 600 },
    ...(status ? { status } : {}),
  }) as BuildRunObject;

describe('statusFor: a BuildRun phase from its Job (pure, level-triggered)', () => {
  it('Pending without a Job, Scheduled with one, Running once a Pod is ready', () => {
    assert.equal(statusFor(run(), undefined).phase, 'Pending');
    assert.equal(statusFor(run(), { status: {} }).phase, 'Scheduled');
    assert.equal(statusFor(run(), { status: { active: 1, ready: 1 } }).phase, 'Running');
  });

  it('Complete → Succeeded; Failed → Failed; DeadlineExceeded → TimedOut', () => {
    assert.equal(statusFor(run(), { status: { conditions: [{ type: 'Complete', status: 'True' }] } }).phase, 'Succeeded');
    const failed = statusFor(run(), { status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] } });
    assert.deepEqual([failed.phase, failed.message], ['Failed', 'the build Job failed: Job has reached the specified backoff limit']);
    assert.equal(statusFor(run(), { status: { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] } }).phase, 'TimedOut');
  });

  it('a terminal phase never changes again, whatever the Job says', () => {
    assert.equal(statusFor(run({ phase: 'Canceled' }), { status: { conditions: [{ type: 'Complete', status: 'True' }] } }).phase, 'Canceled');
  });

  it('the Job is owned by the BuildRun, with its deadline and no retries', () => {
    const job = jobFor(run()) as unknown as { metadata: { ownerReferences: Array<{ uid: string; controller: boolean }> }; spec: { activeDeadlineSeconds: number; backoffLimit: number } };
    assert.deepEqual([job.metadata.ownerReferences[0]!.uid, job.metadata.ownerReferences[0]!.controller, job.spec.activeDeadlineSeconds, job.spec.backoffLimit], ['u-1', true, 600, 0]);
  });
});
