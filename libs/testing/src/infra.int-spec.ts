import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { createTestDatabase, kafkaBrokers, requireEnv, uniqueName } from './index';

// Proves that `npm test` (infra/test.sh) started the infrastructure the integration tests rely on.

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('test PostgreSQL', () => {
  it('answers as a superuser with room for many parallel test files', async () => {
    const url = requireEnv('SLUICE_TEST_DATABASE_URL');
    const [row] = await query<{ version: string; superuser: boolean; max: string }>(
      url,
      `SELECT version() AS version, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
              current_setting('max_connections') AS max`,
    );
    assert.match(row.version, /^PostgreSQL \d+/);
    assert.equal(row.superuser, true);
    assert.ok(Number(row.max) >= 400, `max_connections is ${row.max}`);
  });

  it('creates a database of its own for a test file and drops it', async () => {
    const db = await createTestDatabase('infra_check');
    try {
      const [row] = await query<{ name: string }>(db.url, 'SELECT current_database() AS name');
      assert.equal(row.name, db.name);
    } finally {
      await db.drop();
    }
    const left = await query<{ n: string }>(
      requireEnv('SLUICE_TEST_DATABASE_URL'),
      `SELECT count(*) AS n FROM pg_database WHERE datname = '${db.name}'`,
    );
    assert.equal(left[0].n, '0');
  });
});

describe('test Kafka', () => {
  let admin: Admin;
  before(async () => {
    admin = new Kafka({ clientId: 'infra-check', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });
  after(async () => admin?.disconnect());

  it('is one broker that creates, lists and deletes topics (auto-creation is off)', async () => {
    const cluster = await admin.describeCluster();
    assert.equal(cluster.brokers.length, 1);
    const topic = uniqueName('infra-check');
    assert.equal(await admin.createTopics({ topics: [{ topic }], waitForLeaders: true }), true);
    assert.ok((await admin.listTopics()).includes(topic));
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    assert.equal(metadata.partitions.length, 3, 'num.partitions=3 by default');
    await admin.deleteTopics({ topics: [topic] });
    assert.ok(!(await admin.listTopics()).includes(topic));
  });
});
