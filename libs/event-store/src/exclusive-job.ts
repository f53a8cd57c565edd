import type { DataSource } from 'typeorm';

/** Keys held in this process by jobs on a single-connection database (see runExclusive). */
const heldInProcess = new WeakMap<DataSource, Set<string>>();

/** True when the DataSource's pool has one connection: the all-in-one's embedded database. */
export function isSingleConnection(dataSource: DataSource): boolean {
  return (dataSource.options as { poolSize?: number }).poolSize === 1;
}

/**
 * Runs `job` unless another holder of `key` runs it already (then resolves `{ ran: false }`):
 * one replica of a service runs a long job (a global sync, a recovery pass).
 *
 * On a real PostgreSQL pool this is a session advisory lock on a connection of its own,
 * kept for the job's length. On a pool of ONE connection (the embedded database) that
 * connection would be the only one, and every other query of the process — the job's own,
 * each request's, `/readyz`'s — would wait for it forever; and no second process can open
 * that database anyway, so the lock is held in this process instead. `job` queries through
 * the pool, never through the lock's connection.
 */
export async function runExclusive(dataSource: DataSource, key: string, job: () => Promise<void>): Promise<{ ran: boolean }> {
  if (isSingleConnection(dataSource)) {
    let held = heldInProcess.get(dataSource);
    if (!held) heldInProcess.set(dataSource, (held = new Set()));
    if (held.has(key)) return { ran: false };
    held.add(key);
    try {
      await job();
      return { ran: true };
    } finally {
      held.delete(key);
    }
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    const [{ ok }]: Array<{ ok: boolean }> = await lock.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
    if (!ok) return { ran: false };
    try {
      await job();
      return { ran: true };
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    }
  } finally {
    await lock.release();
  }
}
