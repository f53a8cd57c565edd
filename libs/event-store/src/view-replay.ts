import type { DataSource } from 'typeorm';
import { ViewRebuild, type ViewRebuildOptions, type ViewRebuildStatus } from './view-rebuild';

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
    dataSource: DataSource,
    private readonly live: { wake(): void },
    options: ViewRebuildOptions,
  ) {
    this.rebuild = new ViewRebuild(dataSource, options);
  }

  async start(requestedBy: string): Promise<ReplayStatus> {
    const { status, finished } = await this.rebuild.start(requestedBy);
    void finished.then(() => this.live.wake(), () => undefined);
    return toReplayStatus(status);
  }

  async status(id: string): Promise<ReplayStatus | null> {
    const status = await this.rebuild.status(id);
    return status && toReplayStatus(status);
  }
}

function toReplayStatus(s: ViewRebuildStatus): ReplayStatus {
  return { replayId: s.rebuildId, requestedBy: s.requestedBy, requestedAt: s.requestedAt, status: s.status, processed: s.processed, total: s.total, error: s.error };
}
