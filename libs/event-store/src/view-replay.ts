import { ConflictError, NotFoundError } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { schemaIdentifier } from './sql-identifier';
import { ViewRebuild, type ViewRebuildOptions, type ViewRebuildStatus } from './view-rebuild';

/**
 * Views whose rows were written in part before their log held every fact of them: a one-row
 * table `<schema>.<table> (complete, since)` set by the migration that began keeping the facts.
 * A rebuild from such a log would lose rows, so it is refused (409 `code`).
 */
export interface LogCompleteness {
  readonly table: string;
  readonly code: string;
  /** What was written before `since` that the log lacks. */
  readonly lacking: string;
}

/**
 * The migration step that begins keeping a view's facts in the log: creates `<schema>.<table>` of
 * `LogCompleteness` (`schema`: an SQL identifier, as `migrationSchema` gives), complete when none
 * of `views` has rows yet (nothing was written before), or when the SQL condition `completeWhen` holds.
 */
export async function createLogCompleteness(
  q: { query(sql: string): Promise<unknown> },
  schema: string,
  table: string,
  views: readonly string[] | { readonly completeWhen: string },
): Promise<void> {
  const t = `${schema}.${schemaIdentifier(table)}`;
  await q.query(`
    CREATE TABLE ${t} (
      one        boolean PRIMARY KEY DEFAULT true CHECK (one),
      complete   boolean NOT NULL,
      since      timestamptz NOT NULL DEFAULT now()
    )`);
  const complete = 'completeWhen' in views ? views.completeWhen : views.map((v) => `NOT EXISTS (SELECT 1 FROM ${schema}.${schemaIdentifier(v)})`).join(' AND ');
  await q.query(`INSERT INTO ${t} (complete) SELECT ${complete}`);
}

/** What `POST /api/admin/replay…` answers (every service that rebuilds its views answers the same shape). */
export interface ReplayStatus {
  replayId: string;
  requestedBy: string;
  requestedAt: string;
  /** `running` while the copy is built (the API answers from the live views); `done` once it replaced them; `failed` left them as they were. */
  status: 'running' | 'done' | 'failed';
  /** Events of the service's log projected into the copy, of `total` (the log's length when the replay began, plus what it caught up). */
  processed: number;
  total: number;
  error: string | null;
}

/**
 * A service's replay: its views rebuilt blue/green (`ViewRebuild`), and the live projection woken
 * once the swap is done so it goes on from the checkpoint the swap left. Asked again while one
 * runs, it answers the running one.
 */
export class ViewReplay {
  readonly rebuild: ViewRebuild;

  constructor(
    private readonly dataSource: DataSource,
    private readonly live: { wake(): void },
    private readonly options: ViewRebuildOptions & { readonly completeness?: LogCompleteness },
  ) {
    this.rebuild = new ViewRebuild(dataSource, options);
  }

  async start(requestedBy: string): Promise<ReplayStatus> {
    const completeness = this.options.completeness;
    if (completeness) {
      const [row]: Array<{ complete: boolean; since: Date }> = await this.dataSource.query(
        `SELECT complete, since FROM ${schemaIdentifier(this.options.schema)}.${schemaIdentifier(completeness.table)}`,
      );
      if (row && !row.complete) {
        throw new ConflictError(`${completeness.lacking} before ${new Date(row.since).toISOString()}: a rebuild from the log would lose them`, { code: completeness.code });
      }
    }
    const { status, finished } = await this.rebuild.start(requestedBy);
    void finished.then(() => this.live.wake(), () => undefined);
    return toReplayStatus(status);
  }

  async status(id: string): Promise<ReplayStatus | null> {
    const status = await this.rebuild.status(id);
    return status && toReplayStatus(status);
  }

  /** `GET …/replay…/{id}`: the status, or 404 `replay_not_found`. */
  async statusOrNotFound(id: string): Promise<ReplayStatus> {
    const status = await this.status(id);
    if (!status) throw new NotFoundError(`replay ${id} is not known`, { code: 'replay_not_found' });
    return status;
  }
}

function toReplayStatus(s: ViewRebuildStatus): ReplayStatus {
  return { replayId: s.rebuildId, requestedBy: s.requestedBy, requestedAt: s.requestedAt, status: s.status, processed: s.processed, total: s.total, error: s.error };
}
