import { createHash, randomBytes } from 'node:crypto';
import { FakeServer, type FakeServerOptions } from '../common/fake-server';
import type { RateLimitInjection } from '../common/faults';
import type { FakeRequest, FakeResponse } from '../common/types';
import { githubError, GITHUB_DOCS } from './errors';
import { looksLikeJwt, parseAuthorization, verifyAppJwt, JwtError } from './auth';
import { GitHubOpenApi, ResponseSchemaError } from './openapi';
import { PrimaryRateLimit, type PrimaryRateLimitOptions } from './rate-limit';
import { GitHubEventPayloads } from './events';
import { registerGitHubRoutes } from './routes';
import { githubWebhookRequest } from './webhooks';
import { GitHubSeeder } from './seed';
import { GitHubState, type CheckRunRecord, type CommentRecord, type DeliveryRecord, type DeploymentRecord, type StatusRecord } from './state';
import { GitHubViews } from './views';

export interface FakeGitHubOptions extends FakeServerOptions {
  /**
   * Personal/OAuth tokens accepted as `Authorization: token X` or `Bearer X`. Undefined:
   * any token is accepted (installation tokens are always checked for expiry).
   */
  readonly tokens?: readonly string[];
  /** The GitHub App whose JWTs `/app/*` accepts (RS256, verified with this public key). */
  readonly app?: { readonly appId: number; readonly publicKey: string };
  /** Slug and name of that App, as shown on the check runs it creates (default `sluice`, `Sluice`). */
  readonly appSlug?: string;
  readonly appName?: string;
  /**
   * GitHub lets only the App that created a check run update it (403 "Resource not accessible
   * by integration" otherwise). Default true; false only while a client is being fixed.
   */
  readonly checkRunOwnership?: boolean;
  /** Lifetime of installation tokens issued by the access_tokens endpoint (default 3600 s). */
  readonly installationTokenTtlSeconds?: number;
  /** Primary rate-limit budget (default 5000 per hour). */
  readonly rateLimit?: PrimaryRateLimitOptions;
  /** Validate every answer against the OpenAPI fixture and fail on drift (default true). */
  readonly validateResponses?: boolean;
  /** Where redeliveries are POSTed (loopback only); none = only recorded. */
  readonly webhookTarget?: string;
  /** Secret that signs redeliveries (X-Hub-Signature-256). */
  readonly webhookSecret?: string;
}


function assertLoopback(target: string): void {
  const host = new URL(target).hostname;
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host)) {
    throw new Error(`webhookTarget must be a loopback address (127.0.0.0/8, localhost, [::1]), got ${host}`);
  }
}

/**
 * An HTTP server that behaves like api.github.com for the endpoints of the OpenAPI fixture:
 * seeded git data, statuses, checks, deployments, webhook deliveries, App auth, pagination,
 * primary and secondary rate limits and injected failures.
 */
export class FakeGitHub extends FakeServer {
  readonly state = new GitHubState();
  readonly api = GitHubOpenApi.load();
  readonly views: GitHubViews;
  readonly seed: GitHubSeeder;
  /** Webhook payloads (push, workflow_run, status) built from real examples for seeded repos. */
  readonly events: GitHubEventPayloads;
  readonly primaryRateLimit: PrimaryRateLimit;
  readonly options: FakeGitHubOptions;
  private readonly pendingDeliveries = new Set<Promise<void>>();
  /** operationIds of the fixture this fake serves. */
  readonly implementedOperations: readonly string[];

  constructor(options: FakeGitHubOptions = {}) {
    super(options);
    if (options.webhookTarget) assertLoopback(options.webhookTarget);
    this.options = options;
    this.views = new GitHubViews(this.api, () => this.url);
    this.seed = new GitHubSeeder(this.state, this.now);
    this.events = new GitHubEventPayloads(this.state);
    this.primaryRateLimit = new PrimaryRateLimit(options.rateLimit ?? {}, this.now);
    this.implementedOperations = registerGitHubRoutes(this.router, this);
  }

  // ---- read back -------------------------------------------------------------------

  /** Statuses created for a commit (API or seed), oldest first. */
  statuses(repo: string, sha: string): StatusRecord[] {
    return this.state.requireRepo(repo).statuses.filter((s) => s.sha === sha);
  }

  checkRuns(repo: string, sha: string): CheckRunRecord[] {
    return this.state.requireRepo(repo).checkRuns.filter((r) => r.head_sha === sha);
  }

  comments(repo: string, issueNumber?: number): CommentRecord[] {
    return this.state.requireRepo(repo).comments.filter((c) => issueNumber === undefined || c.issue_number === issueNumber);
  }

  deployments(repo: string): DeploymentRecord[] {
    return this.state.requireRepo(repo).deployments;
  }

  deliveries(repo: string, hookId?: number): DeliveryRecord[] {
    return this.state.requireRepo(repo).deliveries.filter((d) => hookId === undefined || d.hook_id === hookId);
  }

  /** Deliveries of the App's own webhook, oldest first. */
  appDeliveries(): DeliveryRecord[] {
    return this.state.appDeliveries;
  }

  /** Head commit of a branch (default branch when omitted). */
  headOf(repo: string, branch?: string): string | undefined {
    const r = this.state.requireRepo(repo);
    return r.branches.get(branch ?? r.defaultBranch);
  }

  /** Sets the primary budget, e.g. `{ remaining: 0, resetInSeconds: 30 }` to exhaust it. */
  setRateLimit(options: { remaining: number; resetInSeconds?: number }): void {
    this.primaryRateLimit.set(options);
  }

  /**
   * Sends a webhook to `webhookTarget` as GitHub does (signed with `webhookSecret`) and
   * records it as a delivery of the repository's hook; resolves with the target's status.
   */
  async deliverWebhook(repo: string, input: { event: string; payload: unknown; hookId?: number; deliveryId?: string }): Promise<{ status: number; deliveryId: string; body: string }> {
    const target = this.options.webhookTarget;
    if (!target) throw new Error('fake GitHub: deliverWebhook needs the webhookTarget option');
    const req = githubWebhookRequest({ event: input.event, payload: input.payload, secret: this.options.webhookSecret, deliveryId: input.deliveryId, hookId: input.hookId });
    const record = this.seed.delivery(repo, { hookId: input.hookId, event: input.event, payload: input.payload, guid: req.deliveryId, status_code: 0 });
    const started = this.now();
    try {
      const res = await fetch(target, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      record.status_code = res.status;
      record.status = res.ok ? 'OK' : `Invalid HTTP Response: ${res.status}`;
      return { status: res.status, deliveryId: req.deliveryId, body };
    } catch (e) {
      record.status = 'failed to connect';
      throw e;
    } finally {
      record.duration = (this.now() - started) / 1000;
    }
  }

  /** Resolves when redeliveries in flight have reached the webhook target. */
  async settled(): Promise<void> {
    while (this.pendingDeliveries.size > 0) await Promise.allSettled([...this.pendingDeliveries]);
  }

  // ---- used by the routes ------------------------------------------------------------

  /** The repository named in the path, if the caller may see it; 404 otherwise (as GitHub hides). */
  repoFor(req: FakeRequest): ReturnType<GitHubState['requireRepo']> {
    const repo = this.state.repo(`${req.params.owner}/${req.params.repo}`);
    if (!repo) throw githubError(404, 'Not Found');
    if (req.auth?.kind === 'installation') {
      const token = this.state.issuedTokens.get(req.auth.identity ?? '');
      const inst = token ? this.state.installations.get(token.installationId) : undefined;
      const allowed = inst?.repositories;
      if (allowed && !allowed.some((n) => n.toLowerCase() === repo.fullName.toLowerCase())) throw githubError(404, 'Not Found');
    }
    return repo;
  }

  /** 422 `Validation Failed` when the body does not match the operation's request schema. */
  validateBody(req: FakeRequest): void {
    const op = req.routeTag;
    if (!op) return;
    const issues = this.api.validateRequest(op, req.body ?? {});
    if (issues.length === 0) return;
    throw githubError(422, 'Validation Failed', {
      errors: issues.map((i) => ({
        resource: op.split('/')[1] ?? 'Resource',
        field: i.field,
        code: i.keyword === 'required' ? 'missing_field' : 'invalid',
        message: i.message,
      })),
    });
  }

  issueInstallationToken(installationId: number): { token: string; expiresAt: number } {
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    const expiresAt = this.now() + (this.options.installationTokenTtlSeconds ?? 3600) * 1000;
    this.state.issuedTokens.set(token, { token, installationId, expiresAt });
    return { token, expiresAt };
  }

  trackDelivery(p: Promise<void>): void {
    this.pendingDeliveries.add(p);
    void p.finally(() => this.pendingDeliveries.delete(p));
  }

  // ---- FakeServer hooks --------------------------------------------------------------

  protected authKind(req: FakeRequest): string {
    const { scheme, credential } = parseAuthorization(req.headers.authorization);
    if (scheme === 'none' || scheme === 'other' || scheme === 'basic') return scheme;
    if (looksLikeJwt(credential)) return 'jwt';
    if (this.state.issuedTokens.has(credential)) return 'installation';
    return scheme;
  }

  protected override isLimited(req: FakeRequest): boolean {
    if (req.path === '/rate_limit') return false;
    return super.isLimited(req) || this.primaryRateLimit.isExhausted();
  }

  protected authenticate(req: FakeRequest, operationId: string | undefined): void {
    const { scheme, credential } = parseAuthorization(req.headers.authorization);
    const appOnly = req.path.startsWith('/app/') || req.path === '/app';
    if (scheme !== 'token' && scheme !== 'bearer') throw githubError(401, 'Requires authentication');
    if (appOnly) {
      const app = this.options.app;
      if (!app) throw githubError(401, 'A JSON web token could not be decoded');
      if (!looksLikeJwt(credential)) throw githubError(401, 'A JSON web token could not be decoded');
      try {
        verifyAppJwt(credential, app.publicKey, app.appId, this.now());
      } catch (e) {
        throw githubError(401, e instanceof JwtError ? e.message : 'A JSON web token could not be decoded');
      }
      req.auth = { kind: 'jwt', identity: String(app.appId) };
    } else if (looksLikeJwt(credential)) {
      // An App JWT only opens /app/* endpoints.
      throw githubError(401, 'A JSON web token could not be decoded');
    } else {
      const issued = this.state.issuedTokens.get(credential);
      if (issued) {
        if (issued.expiresAt <= this.now()) throw githubError(401, 'Bad credentials');
        req.auth = { kind: 'installation', identity: credential };
      } else if (this.options.tokens === undefined || this.options.tokens.includes(credential)) {
        req.auth = { kind: scheme, identity: 'user' };
      } else {
        throw githubError(401, 'Bad credentials');
      }
    }
    if (operationId === 'apps/list-repos-accessible-to-installation' && req.auth.kind !== 'installation') {
      throw githubError(403, 'You must authenticate with an installation access token in order to list repositories for an installation.');
    }
    // GET /rate_limit does not count against the budget.
    if (req.path === '/rate_limit') return;
    if (!this.primaryRateLimit.consume()) {
      throw githubError(403, `API rate limit exceeded for ${req.auth.kind === 'installation' ? 'installation' : 'user'}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)`, {
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      });
    }
  }

  protected commonHeaders(_req: FakeRequest): Record<string, string> {
    return {
      ...this.primaryRateLimit.headers(),
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
    };
  }

  protected rateLimitedResponse(spec: RateLimitInjection): FakeResponse {
    return {
      status: spec.status,
      headers: { 'retry-after': String(spec.retryAfterSeconds) },
      body: {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
        documentation_url: 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        status: String(spec.status),
      },
    };
  }

  protected override notFoundBody(): unknown {
    return { message: 'Not Found', documentation_url: GITHUB_DOCS, status: '404' };
  }

  /**
   * GET answers carry an ETag; `If-None-Match` with the same tag answers 304 without a body,
   * and — as on GitHub — a 304 does not count against the primary rate limit.
   */
  protected override finalizeResponse(req: FakeRequest, res: FakeResponse): FakeResponse {
    if (req.method !== 'GET' || res.status !== 200 || res.body === undefined) return res;
    const etag = `W/"${createHash('sha1').update(JSON.stringify(res.body)).digest('hex')}"`;
    const headers = { ...(res.headers ?? {}), etag };
    const match = String(req.headers['if-none-match'] ?? '')
      .split(',')
      .map((t) => t.trim());
    if (match.includes(etag) || match.includes(etag.slice(2))) {
      if (req.auth && req.path !== '/rate_limit' && this.primaryRateLimit.used > 0) this.primaryRateLimit.used -= 1;
      return { status: 304, headers };
    }
    return { ...res, headers };
  }

  protected override checkResponse(_req: FakeRequest, operationId: string | undefined, res: FakeResponse): void {
    if (this.options.validateResponses === false || !operationId || res.raw !== undefined) return;
    if (!this.api.isDocumentedStatus(operationId, res.status)) return;
    const issues = this.api.validateResponse(operationId, res.status, res.body);
    if (issues.length > 0) throw new ResponseSchemaError(operationId, res.status, issues);
  }
}
