import { Client } from 'pg';
import { requireEnv } from './env';
import { uniqueName } from './names';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: requireEnv('SLUICE_TEST_DATABASE_URL') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database on the test PostgreSQL server, so test files can run in parallel. */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name = uniqueName(prefix.replace(/[^a-z0-9_]/g, '_'), '_');
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(requireEnv('SLUICE_TEST_DATABASE_URL'));
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
