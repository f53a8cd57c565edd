import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shortSha } from './image-tag';

const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

describe('shortSha', () => {
  it('names SHAs in messages by their first 7 characters', () => {
    assert.equal(shortSha(SHA), '1a2b3c4…');
    assert.equal(shortSha(null), 'null');
  });
});
