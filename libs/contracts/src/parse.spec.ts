import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventParseError, newEvent, parseEvent } from './parse';
import { latestVersion } from './registry';

const sha = 'a'.repeat(40);
const repo = { fullName: 'acme/billing', id: 1, defaultBranch: 'main', private: false };
const envelope = (overrides: Record<string, unknown>) => ({
  id: '0193b6a0-0000-7000-8000-000000000001',
  type: 'scm.build.completed',
  version: 1,
  stream: 'repo-acme/billing',
  streamVersion: 3,
  occurredAt: '2026-11-23T08:00:00.000Z',
  correlationId: 'delivery-1',
  causationId: null,
  data: { deliveryId: 'd1', repo, sha, branch: 'main', buildName: 'ci', source: 'workflow_run', conclusion: 'success' },
  ...overrides,
});

describe('parseEvent', () => {
  it('reads an event stored as version 1 upcast to the latest version', () => {
    const event = parseEvent(envelope({}));
    assert.equal(event.type, 'scm.build.completed');
    assert.equal(event.version, latestVersion('scm.build.completed'));
    assert.equal(event.version, 4);
    assert.deepEqual((event.data as { url: unknown }).url, null);
    assert.equal((event.data as { repo: { provider: unknown } }).repo.provider, 'github', 'every repository before v4 was GitHub’s');
    assert.deepEqual((event.data as { run: unknown }).run, { id: null, attempt: null, progress: 'completed', startedAt: null, updatedAt: null });
  });

  it('reads scm.build.started v1 as v2 with a run that says only how far it got (no attempt or time to order it by)', () => {
    const { conclusion: _conclusion, ...started } = envelope({}).data;
    const event = parseEvent(envelope({ type: 'scm.build.started', data: started }));
    assert.equal(event.version, 3);
    assert.deepEqual((event.data as { run: unknown }).run, { id: null, attempt: null, progress: 'in_progress', startedAt: null, updatedAt: null });
  });

  it('reads a repo.branch.updated v1 as v2, not forced (v1 heads only ever moved by the push or sync that set them)', () => {
    const head = 'b'.repeat(40);
    const event = parseEvent(
      envelope({
        type: 'repo.branch.updated',
        data: { repo: 'acme/billing', defaultBranch: 'main', branch: 'main', headSha: head, previousSha: null, headCommit: null },
      }),
    );
    assert.equal(event.version, 2);
    assert.equal((event.data as { forced: unknown }).forced, false);
  });

  it('accepts the latest version as it is', () => {
    const raw = envelope({ version: 3 });
    (raw.data as Record<string, unknown>).url = 'https://ci.example/run/1';
    (raw.data as Record<string, unknown>).run = { id: 7, attempt: 2, progress: 'completed', startedAt: '2026-11-23T08:00:00.000Z', updatedAt: '2026-11-23T08:01:00Z' };
    const event = parseEvent(raw);
    assert.equal((event.data as { url: unknown }).url, 'https://ci.example/run/1');
  });

  it('rejects an unknown type with a typed error', () => {
    assert.throws(
      () => parseEvent(envelope({ type: 'scm.nope' })),
      (e: unknown) => e instanceof EventParseError && e.failure === 'unknown-type' && /scm\.nope/.test(e.message),
    );
  });

  it('rejects an unknown version naming the latest', () => {
    assert.throws(
      () => parseEvent(envelope({ version: 9 })),
      (e: unknown) => e instanceof EventParseError && e.failure === 'unknown-version' && /latest is 4/.test(e.message),
    );
  });

  it('rejects a malformed envelope', () => {
    assert.throws(
      () => parseEvent({ hello: 'world' }),
      (e: unknown) => e instanceof EventParseError && e.failure === 'malformed-envelope',
    );
  });

  it('rejects invalid data naming the field', () => {
    const raw = envelope({});
    (raw.data as Record<string, unknown>).sha = 'not-a-sha';
    assert.throws(
      () => parseEvent(raw),
      (e: unknown) => e instanceof EventParseError && e.failure === 'invalid-data' && e.issues.some((i) => i.path === 'sha'),
    );
  });
});

describe('newEvent', () => {
  it('stamps the latest version and validates the data', () => {
    const event = newEvent('repo.branch.deleted', { repo: 'acme/billing', branch: 'feature/x' });
    assert.equal(event.version, 1);
    assert.throws(() => newEvent('repo.branch.deleted', { repo: 'not a repo', branch: '' }), EventParseError);
  });
});
