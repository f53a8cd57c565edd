import type { DataSource, EntityManager } from 'typeorm';
import { isSingleConnection, runExclusive } from './exclusive-job';
import { transactWithRetry, type ConcurrencyRetryOptions } from './retry-on-concurrency';

/**
 * One unit of work as application code sees it (docs/architecture.md §4): application code
 * receives it from whoever opened it (a consumer's inbox transaction, `UnitOfWork.transact`) and
 * hands it on to its ports, the event store and `handleCommand`; it cannot run a query with it.
 * Only adapters look inside (`managerOf`). A TypeORM `EntityManager` is one, so adapters and
 * consumers pass theirs as they are.
 */
export type Transaction = object & { readonly ['sluice.transaction']?: never };

/** The adapter's view of a `Transaction`: the TypeORM `EntityManager` it is. */
export function managerOf(tx: Transaction): EntityManager {
  return tx as EntityManager;
}

/** How application code opens units of work, without knowing the database behind them. */
export interface UnitOfWork {
  /** One transaction, retried as a whole on a concurrency conflict or a serialization failure. */
  transact<T>(work: (tx: Transaction) => Promise<T>, options?: ConcurrencyRetryOptions): Promise<T>;
  /** Reads outside any transaction (each statement on its own). */
  readonly reads: Transaction;
  /** Runs `job` unless another holder of `key` (in any replica) runs it already. */
  exclusive(key: string, job: () => Promise<void>): Promise<{ ran: boolean }>;
  /** The database has one connection (the all-in-one's embedded one): long jobs take turns with requests. */
  readonly singleConnection: boolean;
}

/** The `UnitOfWork` of a TypeORM data source. */
export function unitOfWorkOf(dataSource: DataSource): UnitOfWork {
  return {
    transact: (work, options) => transactWithRetry(dataSource, (manager) => work(manager), options),
    reads: dataSource.manager,
    exclusive: (key, job) => runExclusive(dataSource, key, job),
    singleConnection: isSingleConnection(dataSource),
  };
}
