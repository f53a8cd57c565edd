import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskSecret } from './manifests.controller';

describe('maskSecret', () => {
  it('masks every value of a Secret and leaves other kinds alone', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'eA==' }, stringData: { b: 'y' } };
    assert.deepEqual(maskSecret(secret), { ...secret, data: { a: '<redacted>' }, stringData: { b: '<redacted>' } });
    assert.equal(secret.data.a, 'eA==', 'the original is not modified');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'x' } };
    assert.equal(maskSecret(cm), cm);
  });
});
