import { ServiceUnavailableError } from '@sluice/platform';
import { ScmAuthError, ScmNotFoundError, ScmRateLimitedError, ScmRequestError, type DeliveryInput } from '@sluice/scm';

/** What the step needs of a Bitbucket reader (`BitbucketScm.getCommit`: Bitbucket's commit endpoint takes an abbreviated hash). */
export interface CommitLookup {
  getCommit(fullName: string, ref: string): Promise<{ readonly sha: string }>;
}

/** The delivery to normalise (its hashes expanded where needed), or why it is ignored. */
export type HashResolution = { readonly kind: 'input'; readonly input: DeliveryInput } | { readonly kind: 'ignored'; readonly reason: string };

export interface ResolveShortHashesOptions {
  /** How long the lookups of one delivery may take, retries included; past it 503. Default 8 s: Bitbucket waits 10 s for an answer. */
  readonly deadlineMs?: number;
  /** `Retry-After` of a 503 for a failure that is not a rate limit. Default 60 s. */
  readonly retryAfterSeconds?: number;
  readonly now?: () => number;
  readonly logger?: { warn(obj: object, msg: string): void };
}

const FULL = /^[0-9a-f]{40}$/;
const ABBREVIATED = /^[0-9a-f]{7,39}$/;
const OWNER_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/** The longest Retry-After asked for a rate limit: past it the sender's own retries are spent anyway. */
const MAX_RETRY_AFTER_SECONDS = 3600;

class DeadlinePassed extends Error {}

/**
 * Before normalising: a Bitbucket Cloud pull request delivery names its source commit by a
 * 12-character hash, while `scm.pull-request.changed` carries full SHAs. This step asks Bitbucket's
 * API for the full hash (`GET /repositories/{workspace}/{slug}/commit/{hash}`, through the shared
 * provider client: its rate budget and retries) and hands the normaliser the payload with it.
 * Other deliveries pass unchanged, without a call.
 *
 * - No reader configured (no BITBUCKET_TOKEN): `ignored`, naming the setting.
 * - The hash names no commit (404): `ignored`, saying so — bad input is never a 5xx.
 * - Bitbucket still failing after the client's retries, rate limited, refusing the token, or slower
 *   than the deadline: ServiceUnavailableError (503 + Retry-After) and nothing is stored, so a
 *   redelivery can succeed.
 */
export class ResolveShortHashes {
  private readonly deadlineMs: number;
  private readonly retryAfterSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly bitbucket: CommitLookup | null,
    private readonly options: ResolveShortHashesOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs ?? 8000;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 60;
    this.now = options.now ?? Date.now;
  }

  async resolve(provider: string, input: DeliveryInput): Promise<HashResolution> {
    const head = provider === 'bitbucket' && input.event.startsWith('pullrequest:') ? sourceOf(input.payload) : null;
    // Not a pull request, a shape the normaliser will explain, or a full hash already: nothing to ask.
    if (!head || FULL.test(head.hash)) return { kind: 'input', input };
    const what = `pull request #${head.id}: the source commit "${head.hash}"`;
    if (!ABBREVIATED.test(head.hash)) return ignored(`${what} is not a commit hash`);
    if (!this.bitbucket) return ignored(`${what} is an abbreviated hash; set BITBUCKET_TOKEN (and BITBUCKET_API_URL) for webhook-ingest to look up the full one`);
    let sha: string;
    try {
      sha = (await this.withDeadline(this.bitbucket.getCommit(head.repo, head.hash))).sha;
    } catch (error) {
      if (error instanceof ScmNotFoundError) return ignored(`${what} is not a commit of ${head.repo} on Bitbucket`);
      throw this.unavailable(head.repo, error);
    }
    if (!FULL.test(sha) || !sha.startsWith(head.hash)) return ignored(`${what} resolved to "${sha}", which is not its full hash`);
    return { kind: 'input', input: { ...input, payload: withSourceHash(input.payload, sha) } };
  }

  private unavailable(repo: string, error: unknown): ServiceUnavailableError {
    const retryAfterSeconds =
      error instanceof ScmRateLimitedError ? Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil((error.untilMs - this.now()) / 1000))) : this.retryAfterSeconds;
    const why =
      error instanceof DeadlinePassed
        ? `no answer within ${this.deadlineMs} ms`
        : error instanceof ScmRateLimitedError
          ? 'rate limited'
          : error instanceof ScmAuthError
            ? `the token was refused (${error.status})`
            : error instanceof ScmRequestError
              ? `status ${error.status || 'none'}`
              : 'request failed';
    // The SCM errors carry the provider's message and a redacted URL, never the token.
    this.options.logger?.warn({ repo, why, error: error instanceof Error ? error.message : String(error) }, 'bitbucket commit lookup failed: delivery not stored');
    return new ServiceUnavailableError(`Bitbucket's API could not give the full commit hash (${why}); nothing was stored, send the delivery again later`, {
      code: 'scm_unavailable',
      retryAfterSeconds,
    });
  }

  private withDeadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlinePassed()), this.deadlineMs);
      timer.unref();
    });
    // A lookup that ends after the deadline is dropped (its rejection handled here).
    work.catch(() => undefined);
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}

function ignored(reason: string): HashResolution {
  return { kind: 'ignored', reason };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The pull request's source commit and the repository it lives in (a fork's, when the source repository is named). */
function sourceOf(payload: unknown): { id: number; hash: string; repo: string } | null {
  if (!isObj(payload) || !isObj(payload.pullrequest) || !isObj(payload.repository)) return null;
  const pr = payload.pullrequest;
  const source = pr.source;
  if (!isObj(source) || !isObj(source.commit) || typeof source.commit.hash !== 'string' || typeof pr.id !== 'number') return null;
  const fork = isObj(source.repository) ? source.repository.full_name : undefined;
  const repo = typeof fork === 'string' && OWNER_NAME.test(fork) ? fork : payload.repository.full_name;
  if (typeof repo !== 'string' || !OWNER_NAME.test(repo)) return null;
  return { id: pr.id, hash: source.commit.hash, repo };
}

/** A copy of the payload whose `pullrequest.source.commit.hash` is `sha` (the delivery's raw bytes are stored as received). */
function withSourceHash(payload: unknown, sha: string): unknown {
  const p = payload as { pullrequest: { source: { commit: Obj } } };
  const source = p.pullrequest.source;
  return { ...p, pullrequest: { ...p.pullrequest, source: { ...source, commit: { ...source.commit, hash: sha } } } };
}
