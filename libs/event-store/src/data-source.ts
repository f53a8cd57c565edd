import { DataSource, type MigrationInterface } from 'typeorm';
import { eventStoreMigrations } from './migrations';
import { schemaIdentifier } from './sql-identifier';

export interface ServiceDataSourceOptions {
  url: string;
  /** The service's own schema (one schema per service, docs/architecture.md §4). */
  schema: string;
  /** The service's read-model migrations, run after the event store's. */
  migrations?: Array<new () => MigrationInterface>;
  /**
   * Pool size. 1 for the embedded database, which serialises connections: then no
   * second connection is ever opened (not even for the migration lock).
   */
  poolSize?: number;
  applicationName?: string;
}

/** A TypeORM DataSource on the service's schema with the event store and service migrations applied. */
export async function openServiceDataSource(options: ServiceDataSourceOptions): Promise<DataSource> {
  const schema = schemaIdentifier(options.schema);
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? `sluice-${options.schema}`,
    migrationsTableName: 'migrations',
    migrations: [...eventStoreMigrations(options.schema), ...(options.migrations ?? [])],
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  });
  if (options.poolSize === 1) {
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await dataSource.runMigrations();
    return dataSource;
  }
  // Two replicas of one service may start together: migrate under a session advisory
  // lock held on a separate bootstrap connection.
  const bootstrap = new DataSource({ type: 'postgres', url: options.url, poolSize: 1 });
  await bootstrap.initialize();
  try {
    await bootstrap.query('SELECT pg_advisory_lock(hashtext($1))', [`sluice-migrate-${options.schema}`]);
    await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await dataSource.initialize();
    await dataSource.runMigrations();
    return dataSource;
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    throw error;
  } finally {
    await bootstrap.destroy();
  }
}

/** Applies a service's migrations on a connection of its own, then closes it (the all-in-one app migrates each schema in turn). */
export async function migrateServiceSchema(options: ServiceDataSourceOptions): Promise<void> {
  const dataSource = await openServiceDataSource(options);
  await dataSource.destroy();
}
