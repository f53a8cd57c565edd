import { schemaIdentifier } from '@sluice/event-store';
import { PeriodicTask, type Logger } from '@sluice/platform';
import { ScmAuthError, ScmRequestError, type ScmClients } from '@sluice/scm';
import type { DataSource, EntityManager } from 'typeorm';
import type { CommitStatusStore } from '../../application/ports';
import {
  evolvePreview,
  previewCommentBody,
  previewCommentMarker,
  previewEnvironment,
  previewStatusDescription,
  type PreviewEvent,
  type PreviewState,
} from '../../domain/preview';
import type { GitHubDeploymentMirror } from '../github-deployments/github-deployment-mirror';
import { syncPendingRows } from '../github-deployments/pending-rows';
import { githubWritesFor } from '../scm/github-target';
import { previewRepoProvider, type CataloguedProviders } from './preview-provider';

export interface PreviewPullRequestsOptions {
  dataSource: DataSource;
  schema: string;
  store: CommitStatusStore;
  /** The process's SCM clients (the same rate budget as every other call of the credentials). */
  clients: ScmClients;
  /** The deployments of the previews: recorded here, written by the mirror's loop. */
  deployments: GitHubDeploymentMirror;
  /** Which provider a preview's repository is on (the catalogue's): the comment goes to GitHub's pull request or GitLab's merge request. */
  repoProviders: CataloguedProviders;
  /** Where the GitRepos of Sluice's own writes live (their credentials are used). */
  namespace: string;
  logger: Logger;
  pollIntervalMs?: number;
  random?: () => number;
}

interface CommentRow {
  config: string;
  pr: number;
  repo: string;
  comment_body: string;
  comment_version: number;
  comment_id: string | null;
  attempts: number;
}

/** Where the comment lives: a GitHub pull request's issue comments, a GitLab merge request's notes. */
interface CommentThread {
  /** A page (100) of the comments, oldest first. */
  list(page: number): Promise<ReadonlyArray<{ id: number; body: string }>>;
  create(body: string): Promise<{ id: number }>;
  /** `ScmRequestError` 404 when the comment is gone. */
  update(id: number, body: string): Promise<void>;
}

/** Pages of a pull request's comments read at most when looking for the marker. */
const MAX_COMMENT_PAGES = 30;

/**
 * Preview environments on the pull request (#20). The consumer's transaction evolves the
 * (config, pull request) state, records the preview's GitHub deployment for the mirror's loop
 * (environment `preview/<config>/pr-<n>`, transient, `payload.sluicePreviewId`; an earlier
 * push's deployment retired) and the comment's body; this class's loop then makes the pull
 * request hold that body in ONE comment — created once, edited in place (PATCH) afterwards,
 * found again by its hidden marker when its id was not saved (a crash between the two).
 */
export class PreviewPullRequests {
  private readonly table: string;
  private readonly task: PeriodicTask;
  private readonly random: () => number;

  constructor(private readonly opts: PreviewPullRequestsOptions) {
    this.table = `${schemaIdentifier(opts.schema)}.preview_pull_requests`;
    this.random = opts.random ?? Math.random;
    this.task = new PeriodicTask(
      () => this.syncPending(),
      (err) => opts.logger.warn({ err: err.message }, 'preview comments: pass failed'),
    );
  }

  /** One preview event, in the consumer's transaction; the new state, or null when it changed nothing. */
  async apply(event: PreviewEvent, manager: EntityManager): Promise<PreviewState | null> {
    const { config, pr } = event.data;
    const rows: Array<{ state: PreviewState }> = await manager.query(`SELECT state FROM ${this.table} WHERE config = $1 AND pr = $2 FOR UPDATE`, [config, pr]);
    const current = rows[0]?.state ?? null;
    const next = evolvePreview(current, event);
    if (!next) return null;
    const body = previewCommentBody(next);
    await manager.query(
      `INSERT INTO ${this.table} AS p (config, pr, repo, state, comment_body) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (config, pr) DO UPDATE SET state = EXCLUDED.state, repo = EXCLUDED.repo, comment_body = EXCLUDED.comment_body,
         comment_version = p.comment_version + CASE WHEN p.comment_body = EXCLUDED.comment_body THEN 0 ELSE 1 END,
         attempts = 0, next_attempt_at = now(), updated_at = now()`,
      [config, pr, next.repo, JSON.stringify(next), body],
    );
    const environment = previewEnvironment(config, pr);
    await this.opts.deployments.recordDeployment(
      {
        id: next.previewId,
        kind: 'preview',
        config,
        repo: next.repo,
        sha: next.headSha,
        environment,
        state: next.phase,
        description: previewStatusDescription(next),
        logUrl: null,
        environmentUrl: next.phase === 'success' ? next.url : null,
      },
      manager,
    );
    // A new push (or a release naming a preview never seen): the earlier pushes' deployments are no longer the environment's.
    if (current?.previewId !== next.previewId) await this.opts.deployments.retireOthers(next.repo, environment, next.previewId, `Superseded by ${next.headSha.slice(0, 7)}`, manager);
    return next;
  }

  start(): void {
    this.task.start(this.opts.pollIntervalMs ?? 1000);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass over the comments behind their wanted body (oldest first). */
  syncPending(): Promise<void> {
    return syncPendingRows<CommentRow>({
      dataSource: this.opts.dataSource,
      logger: this.opts.logger,
      random: this.random,
      what: 'preview comment',
      select: `SELECT config, pr, repo, comment_body, comment_version, comment_id, attempts FROM ${this.table}
                WHERE comment_synced < comment_version AND next_attempt_at <= now() ORDER BY updated_at LIMIT 20`,
      sync: (row) => this.sync(row),
      describe: (row) => ({ config: row.config, pr: row.pr, repo: row.repo }),
      failed: async (row, message, delayMs) => {
        await this.opts.dataSource.query(
          `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $3, next_attempt_at = now() + ($4 || ' milliseconds')::interval WHERE config = $1 AND pr = $2`,
          [row.config, row.pr, message, String(delayMs)],
        );
      },
    });
  }

  private async sync(row: CommentRow): Promise<void> {
    const provider = await previewRepoProvider(this.opts.repoProviders, row.repo, this.opts.dataSource.manager);
    const thread = provider === 'github' ? await this.githubThread(row) : provider === 'gitlab' ? await this.gitlabThread(row) : null;
    // Bitbucket (not shown there yet), or a name on two providers: nothing is written, the row is not due again.
    if (!thread) return this.markSynced(row);
    let commentId = row.comment_id === null ? null : Number(row.comment_id);
    if (commentId !== null && !(await this.edit(thread, commentId, row.comment_body))) commentId = null;
    if (commentId === null) {
      // No id saved (the first preview, or a crash after the comment was made): the marker finds it.
      const found = await this.findByMarker(thread, previewCommentMarker(row.config));
      if (found) {
        if (found.body !== row.comment_body) await thread.update(found.id, row.comment_body);
        commentId = found.id;
      } else {
        commentId = (await thread.create(row.comment_body)).id;
      }
      await this.opts.dataSource.query(`UPDATE ${this.table} SET comment_id = $3 WHERE config = $1 AND pr = $2`, [row.config, row.pr, commentId]);
    }
    await this.markSynced(row);
  }

  /** The pull request's issue comments on GitHub. */
  private async githubThread(row: CommentRow): Promise<CommentThread | null> {
    const repo = await this.opts.store.resolveGitRepo(this.opts.namespace, await this.opts.store.ensureOwnedGitRepo(row.repo, 'github'));
    if (repo.identity.provider !== 'github') return null;
    const { writes, ref } = githubWritesFor(this.opts.clients, repo);
    return {
      list: (page) => writes.listIssueComments(ref, row.pr, page),
      create: (body) => writes.createIssueComment(ref, row.pr, body),
      update: async (id, body) => void (await writes.updateIssueComment(ref, id, body)),
    };
  }

  /** The merge request's notes on GitLab (`row.pr` is its iid), with the token of Sluice's GitLab GitRepo. */
  private async gitlabThread(row: CommentRow): Promise<CommentThread | null> {
    const repo = await this.opts.store.resolveGitRepo(this.opts.namespace, await this.opts.store.ensureOwnedGitRepo(row.repo, 'gitlab'));
    if (repo.identity.provider !== 'gitlab') return null;
    if (repo.credentials.kind !== 'token') throw new ScmAuthError(401, 'GitLab needs a token');
    const notes = this.opts.clients.gitlabStatuses(repo.identity.apiUrl, repo.credentials.token);
    const project = repo.identity.fullName;
    return {
      list: (page) => notes.listMergeRequestNotes(project, row.pr, page),
      create: (body) => notes.createMergeRequestNote(project, row.pr, body),
      update: async (id, body) => void (await notes.updateMergeRequestNote(project, row.pr, id, body)),
    };
  }

  private async markSynced(row: CommentRow): Promise<void> {
    await this.opts.dataSource.query(
      `UPDATE ${this.table} SET comment_synced = GREATEST(comment_synced, $3), attempts = 0, last_error = NULL WHERE config = $1 AND pr = $2`,
      [row.config, row.pr, row.comment_version],
    );
  }

  /** Edits the comment in place; false when it is gone (deleted by someone). */
  private async edit(thread: CommentThread, commentId: number, body: string): Promise<boolean> {
    try {
      await thread.update(commentId, body);
      return true;
    } catch (err) {
      if (err instanceof ScmRequestError && err.status === 404) return false;
      throw err;
    }
  }

  private async findByMarker(thread: CommentThread, marker: string): Promise<{ id: number; body: string } | null> {
    for (let page = 1; page <= MAX_COMMENT_PAGES; page++) {
      const comments = await thread.list(page);
      const found = comments.find((c) => c.body.includes(marker));
      if (found) return found;
      if (comments.length < 100) return null;
    }
    return null;
  }
}
