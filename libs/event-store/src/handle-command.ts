import type { NewEvent } from '@sluice/contracts';
import type { EventStore } from './event-store';
import { transactWithRetry, type ConcurrencyRetryOptions } from './retry-on-concurrency';
import type { StoredEvent } from './stored-event';
import type { Transaction } from './transaction';

/** What a decision yields: the events to append (and whatever else the caller wants back). */
export interface Decided {
  readonly events: readonly NewEvent[];
}

export interface HandleCommandOptions extends ConcurrencyRetryOptions {
  /**
   * Run inside the caller's transaction (a consumer's inbox transaction): no retry here, a
   * ConcurrencyError propagates and the redelivery decides again.
   */
  readonly manager?: Transaction;
}

/**
 * The one command cycle of docs/architecture.md §4, for every event-sourced aggregate (as Emmett's
 * `handleCommandWithDecider`): load the stream, build the state (`fold`), `decide` (pure, or looking
 * up facts in the same transaction), append the decision's events at the version loaded — in one
 * transaction; a cycle that lost a race to another writer of the stream runs again, reloaded, under
 * CONCURRENCY_RETRY.
 */
export async function handleCommand<State, Result extends Decided>(
  store: EventStore,
  stream: string,
  fold: (events: readonly StoredEvent[]) => State,
  decide: (state: State, tx: Transaction) => Promise<Result> | Result,
  options: HandleCommandOptions = {},
): Promise<Result> {
  const cycle = async (manager: Transaction): Promise<Result> => {
    const stored = await store.readStream(stream, { manager });
    const result = await decide(fold(stored), manager);
    if (result.events.length > 0) await store.append(stream, stored.at(-1)?.streamVersion ?? 0, result.events, { manager });
    return result;
  };
  return options.manager ? cycle(options.manager) : transactWithRetry(store.dataSource, (manager) => cycle(manager), options);
}
