import type { DeployRecord } from '../domain/dora';

/** Which deploys to measure: one config, one team, or all (null). */
export interface DoraScope {
  readonly config: string | null;
  readonly team: string | null;
}

/**
 * Where the deploys come from: the service that keeps the deploy history (autodeploy's deploys
 * read model, a projection of the log, so a replay rebuilds it) with each deployed commit's time
 * (carried on the deploy's request event, `commitAt`, so it is in that log too: #21).
 * `since`: deploys requested from then on (and the earlier ones still needed to tell rollbacks
 * and restores apart are the implementation's business: it may return more).
 */
export interface DoraRecords {
  recordsSince(scope: DoraScope, since: Date): Promise<DeployRecord[]>;
}

export const DORA_RECORDS = Symbol('DORA_RECORDS');
