import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageTag } from './image-tag';

const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

describe('imageTag (<branch>-<shortsha>, docs/architecture.md §1)', () => {
  it('is the branch and the first 7 characters of the SHA', () => {
    assert.equal(imageTag('main', SHA), 'main-1a2b3c4');
  });

  it('replaces every character outside [A-Za-z0-9_.-] with -', () => {
    assert.equal(imageTag('feature/login', SHA), 'feature-login-1a2b3c4');
    assert.equal(imageTag('Rel_1.2/fix#9 ü', SHA), 'Rel_1.2-fix-9---1a2b3c4');
  });

  it('keeps a tag within Docker’s 128 characters by cutting a long branch', () => {
    const tag = imageTag('b'.repeat(300), SHA);
    assert.equal(tag.length, 128);
    assert.ok(tag.endsWith('-1a2b3c4'));
  });

});
