import { Writable } from 'node:stream';
import { openServiceDataSource } from '@sluice/event-store';
import { createLogger, type Logger } from '@sluice/platform';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import type { ProviderSettings } from '../application/credentials';
import { commitStatusMigrations, COMMIT_STATUS_SCHEMA } from '../adapters/postgres/migrations';

/** Test-only helpers (not exported from the library). */

export const SHA1 = '1111111111111111111111111111111111111111';
export const SHA2 = '2222222222222222222222222222222222222222';

/** A pino logger whose lines the test can read. */
export function capturingLogger(name = 'commit-status-test'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { log: createLogger(name, { destination, level: 'debug' }), lines };
}

export async function testDataSource(prefix: string): Promise<{ db: TestDatabase; dataSource: DataSource; close(): Promise<void> }> {
  const db = await createTestDatabase(prefix);
  const dataSource = await openServiceDataSource({ url: db.url, schema: COMMIT_STATUS_SCHEMA, migrations: commitStatusMigrations, poolSize: 4 });
  return {
    db,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await db.drop();
    },
  };
}

export function settings(
  over: { githubUrl?: string; token?: string; app?: ProviderSettings['github']['app']; gitlabUrl?: string; bitbucketUrl?: string; apiOrigins?: string[] } = {},
): ProviderSettings {
  return {
    apiOrigins: over.apiOrigins,
    github: { apiUrl: over.githubUrl ?? 'http://127.0.0.1:1', token: over.token, app: over.app },
    gitlab: { apiUrl: over.gitlabUrl ?? 'http://127.0.0.1:1', token: 'glpat-test' },
    bitbucket: { apiUrl: over.bitbucketUrl ?? 'http://127.0.0.1:1', token: 'bb-test' },
  };
}
