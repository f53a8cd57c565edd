import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { BadRequestError, UnprocessableError } from './errors';
import { fieldPath, parseOrThrow } from './validation';

const schema = z.object({
  config: z.string().min(1),
  targets: z.array(z.object({ namespace: z.string() })),
});

describe('parseOrThrow', () => {
  it('returns the parsed value when it is valid', () => {
    assert.deepEqual(parseOrThrow(schema, { config: 'billing-api', targets: [] }, 'body'), { config: 'billing-api', targets: [] });
  });

  it('throws a 400 naming the path of each bad field', () => {
    assert.throws(
      () => parseOrThrow(schema, { config: '', targets: [{ namespace: 'a' }, {}] }, 'body'),
      (err: unknown) => {
        assert.ok(err instanceof BadRequestError);
        assert.equal(err.status, 400);
        assert.equal(err.code, 'validation_failed');
        assert.match(err.message, /^body\.config: /);
        assert.match(err.message, /body\.targets\[1\]\.namespace: required/);
        assert.deepEqual(err.details?.field, 'body.config');
        return true;
      },
    );
  });

  it('throws a 422 when asked to', () => {
    assert.throws(() => parseOrThrow(schema, {}, 'body', { status: 422 }), (err: unknown) => err instanceof UnprocessableError && err.status === 422);
  });
});

describe('fieldPath', () => {
  it('joins object keys with dots and array indexes with brackets', () => {
    assert.equal(fieldPath('query', ['limit']), 'query.limit');
    assert.equal(fieldPath('', ['items', 0, 'sha']), 'items[0].sha');
    assert.equal(fieldPath('', []), '(input)');
  });
});
