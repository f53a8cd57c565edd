import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@sluice/platform';
import { webhookIngestConfigSchema } from './webhook-ingest.config';

const BASE = { DATABASE_URL: 'postgres://u@127.0.0.1/db', GITHUB_WEBHOOK_SECRET: 'a-webhook-secret-of-20-chars-or-more' };

describe('WEBHOOK_INGEST_GROUP_COMMIT_MAX', () => {
  it('is 100 deliveries per transaction by default; 1 writes each alone', () => {
    assert.equal(loadConfig(webhookIngestConfigSchema, BASE).WEBHOOK_INGEST_GROUP_COMMIT_MAX, 100);
    assert.equal(loadConfig(webhookIngestConfigSchema, { ...BASE, WEBHOOK_INGEST_GROUP_COMMIT_MAX: '1' }).WEBHOOK_INGEST_GROUP_COMMIT_MAX, 1);
  });

  for (const bad of ['0', '1001', 'many', '2.5']) {
    it(`refuses ${bad} at start, naming the variable`, () => {
      assert.throws(
        () => loadConfig(webhookIngestConfigSchema, { ...BASE, WEBHOOK_INGEST_GROUP_COMMIT_MAX: bad }),
        (err: unknown) => err instanceof ConfigError && err.problems.length === 1 && err.problems[0]!.variable === 'WEBHOOK_INGEST_GROUP_COMMIT_MAX',
      );
    });
  }
});
