// Test-only helpers for this library's int-specs (not exported from index.ts).
import { createTestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { openServiceDataSource } from './data-source';
import { EventStore } from './event-store';

export async function openTestStore(schema = 'test_service', poolSize = 20) {
  const database = await createTestDatabase('event_store');
  const dataSource: DataSource = await openServiceDataSource({ url: database.url, schema, poolSize });
  const store = new EventStore(dataSource, schema);
  return {
    database,
    dataSource,
    store,
    async close() {
      await dataSource.destroy();
      await database.drop();
    },
  };
}

export const testEvent = (n: number, extra: Record<string, unknown> = {}) => ({
  type: 'test.happened',
  version: 1,
  data: { n, ...extra },
});
