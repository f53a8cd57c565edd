import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  errorFromResponse,
  errorFromStatus,
  KubeAlreadyExistsError,
  KubeConflictError,
  KubeForbiddenError,
  KubeGoneError,
  KubeInvalidError,
  KubeNetworkError,
  KubeServerError,
  KubeTooManyRequestsError,
  toKubeError,
} from './errors';

describe('errorFromResponse', () => {
  it('maps a 422 Status to KubeInvalidError with the causes naming the fields', () => {
    const err = errorFromResponse(422, {
      kind: 'Status',
      reason: 'Invalid',
      message: 'DeployConfig.sluice.dev "x" is invalid: spec.artifactSha: Invalid value',
      details: { causes: [{ reason: 'FieldValueInvalid', field: 'spec.artifactSha', message: 'Invalid value' }] },
    });
    assert.ok(err instanceof KubeInvalidError);
    assert.equal(err.retryable, false);
    assert.deepEqual(
      err.causes.map((c) => c.field),
      ['spec.artifactSha'],
    );
  });

  it('treats a server-side apply field-manager conflict as terminal and a stale-version conflict as retryable', () => {
    const ssa = errorFromResponse(409, {
      kind: 'Status',
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.replicas', message: 'conflict with "kubectl"' }] },
    });
    assert.ok(ssa instanceof KubeConflictError);
    assert.equal(ssa.retryable, false);
    assert.equal(ssa.fieldConflicts[0]?.field, '.spec.replicas');

    const stale = errorFromResponse(409, { kind: 'Status', reason: 'Conflict', message: 'the object has been modified' });
    assert.ok(stale instanceof KubeConflictError);
    assert.equal(stale.retryable, true);
  });

  it('separates AlreadyExists from Conflict', () => {
    assert.ok(errorFromResponse(409, { kind: 'Status', reason: 'AlreadyExists' }) instanceof KubeAlreadyExistsError);
  });

  it('reads Retry-After on 429 and marks it retryable', () => {
    const err = errorFromResponse(429, 'slow down', '3');
    assert.ok(err instanceof KubeTooManyRequestsError);
    assert.equal(err.retryAfterMs, 3000);
    assert.equal(err.retryable, true);
  });

  it('marks 5xx retryable and 403 terminal', () => {
    assert.equal(errorFromResponse(503, '').retryable, true);
    assert.ok(errorFromResponse(500, '') instanceof KubeServerError);
    const forbidden = errorFromResponse(403, { kind: 'Status', reason: 'Forbidden', message: 'secrets is forbidden' });
    assert.ok(forbidden instanceof KubeForbiddenError);
    assert.equal(forbidden.retryable, false);
  });
});

describe('errorFromStatus', () => {
  it('turns a watch ERROR event with code 410 into KubeGoneError', () => {
    const err = errorFromStatus({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (42)' });
    assert.ok(err instanceof KubeGoneError);
    assert.match(err.message, /too old resource version/);
  });
});

describe('toKubeError', () => {
  it('maps socket failures to retryable KubeNetworkError and programming errors to terminal errors', () => {
    const net = toKubeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    assert.ok(net instanceof KubeNetworkError);
    assert.equal(net.retryable, true);
    const bug = toKubeError(new TypeError('x is not a function'));
    assert.equal(bug.retryable, false);
    assert.equal(bug.reason, 'Unknown');
  });

  it('maps client-node ApiException-like errors by code and JSON body', () => {
    const err = toKubeError({ code: 410, body: JSON.stringify({ kind: 'Status', reason: 'Expired', code: 410 }), headers: {} });
    assert.ok(err instanceof KubeGoneError);
  });
});
