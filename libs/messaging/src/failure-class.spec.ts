import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyFailure } from './failure-class';
import { PermanentDeliveryError } from './errors';

function withFields(name: string, fields: Record<string, unknown>, message = 'failed'): Error {
  return Object.assign(new Error(message), { name }, fields);
}

describe('classifyFailure', () => {
  it('says transient for outages: sockets, pg connection loss and server states, 5xx, 429, typed retryable errors', () => {
    const transient = [
      withFields('Error', { code: 'ECONNREFUSED' }),
      new TypeError('fetch failed', { cause: withFields('Error', { code: 'UND_ERR_SOCKET' }) }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      withFields('QueryFailedError', { driverError: withFields('error', { code: '57P01' }) }, 'terminating connection due to administrator command'),
      withFields('QueryFailedError', { code: '40001' }),
      withFields('QueryFailedError', { code: '08006' }),
      withFields('HttpError', { status: 502 }),
      withFields('HttpError', { status: 429 }),
      withFields('KubeNetworkError', { retryable: true, reason: 'Network' }),
      withFields('KubeServerError', { retryable: true, status: 503 }),
      withFields('ScmRequestError', { transient: true, status: 500 }),
      withFields('ConcurrencyError', {}),
      withFields('KafkaJSConnectionError', { retriable: true }),
    ];
    for (const error of transient) assert.equal(classifyFailure(error), 'transient', `${error.name}: ${error.message}`);
  });

  it('says permanent for what retrying cannot fix: PermanentDeliveryError, validation, 4xx, typed non-retryable errors', () => {
    const permanent = [
      new PermanentDeliveryError('not an event'),
      withFields('EventParseError', {}),
      withFields('ZodError', {}),
      withFields('HttpError', { status: 422 }),
      withFields('KubeInvalidError', { retryable: false, status: 422 }),
      withFields('ScmRequestError', { transient: false, status: 400 }),
      withFields('ScmNotFoundError', {}),
      withFields('QueryFailedError', { code: '22P02' }),
    ];
    for (const error of permanent) assert.equal(classifyFailure(error), 'permanent', `${error.name}: ${error.message}`);
  });

  it('says unknown when nothing tells (a bug), and looks through causes only so deep', () => {
    assert.equal(classifyFailure(new TypeError("Cannot read properties of undefined (reading 'x')")), 'unknown');
    assert.equal(classifyFailure('a string'), 'unknown');
    assert.equal(classifyFailure(null), 'unknown');
    const cyclic: Error & { cause?: unknown } = new Error('cycle');
    cyclic.cause = cyclic;
    assert.equal(classifyFailure(cyclic), 'unknown');
  });
});
