import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildKey, buildMatches } from './build-identity';

describe('build identity', () => {
  it("a check run and its app's check suite named apart only by case are one build", () => {
    assert.equal(buildKey('Octocoders-linter'), buildKey('octocoders-linter'));
  });

  it('folds only ASCII letters: other characters, spaces and punctuation stay as they are', () => {
    assert.equal(buildKey('CI / Build (Linux)'), 'ci / build (linux)');
    assert.equal(buildKey('ÄRGER'), 'Ärger');
    assert.notEqual(buildKey('ci'), buildKey('ci '));
  });

  it('artifact.build matches a build name without case; null matches every build', () => {
    assert.equal(buildMatches('ci', 'CI'), true);
    assert.equal(buildMatches('Octocoders-linter', 'octocoders-linter'), true);
    assert.equal(buildMatches('ci', 'lint'), false);
    assert.equal(buildMatches(null, 'anything'), true);
  });
});
