import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultFailureBody, FaultPlan, type FailureInjection, type RateLimitInjection } from './faults';
import { Router } from './router';
import { FakeHttpError, type FakeRequest, type FakeResponse, type RecordedRequest } from './types';

export interface FakeServerOptions {
  /** Delay before every response, in ms. */
  readonly latencyMs?: number;
  /** Clock (ms since epoch); tests may move time forward. */
  readonly now?: () => number;
  /** Largest accepted request body, in bytes (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** Loopback port to listen on (default: a free one). */
  readonly port?: number;
}

/**
 * Lifecycle, request log, fault injection and dispatch shared by the SCM fakes. A provider
 * subclass registers routes on `router` and supplies its authentication, its error bodies
 * and the headers it adds to every answer.
 */
export abstract class FakeServer {
  protected readonly router = new Router();
  protected readonly faults: FaultPlan;
  protected readonly now: () => number;
  private readonly log: RecordedRequest[] = [];
  private server: Server | undefined;
  private baseUrl: string | undefined;
  private readonly maxBodyBytes: number;
  private readonly port: number;
  /** Errors raised by the fake itself (e.g. a response that drifted from the API schema). */
  protected readonly internalErrors: Error[] = [];

  constructor(options: FakeServerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.faults = new FaultPlan(this.now);
    this.faults.latencyMs = options.latencyMs ?? 0;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.port = options.port ?? 0;
  }

  /** Listens on 127.0.0.1 (on a free port unless `port` was given). */
  async start(): Promise<{ url: string }> {
    if (this.server) return { url: this.url };
    const server = createServer((req, res) => {
      this.dispatch(req, res).catch((e: Error) => {
        // A bug of the fake itself: keep it for stop(), and never take the test process down.
        this.internalErrors.push(e);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `fake-scm internal error: ${e.message}` }));
        else res.destroy();
      });
    });
    // Never close an idle keep-alive socket from the server side: a client reusing it just as
    // the server times it out gets "other side closed" (seen on a loaded machine). Clients close
    // idle sockets themselves, and stop() closes whatever is left.
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url: this.url };
  }

  /** Closes the server; rejects if the fake raised an internal error meanwhile (schema drift). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.internalErrors.length > 0) throw this.internalErrors[0];
  }

  /** The fake's clock, in ms since the epoch. */
  nowMs(): number {
    return this.now();
  }

  /** Base URL (http://127.0.0.1:port); throws before start(). */
  get url(): string {
    if (!this.baseUrl) throw new Error('fake server is not started: call start() first');
    return this.baseUrl;
  }

  /** Every request received, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.log;
  }

  /** Requests that arrived while the client had been told to wait (429/403 + retry-after, or an exhausted budget). */
  requestsWhileLimited(): RecordedRequest[] {
    return this.log.filter((r) => r.whileLimited);
  }

  /** Errors the fake raised about itself; `stop()` rethrows the first. */
  get errors(): readonly Error[] {
    return this.internalErrors;
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  injectFailure(spec: FailureInjection): void {
    this.faults.injectFailure(spec);
  }

  injectRateLimit(spec: RateLimitInjection): void {
    this.faults.injectRateLimit(spec);
  }

  set latencyMs(ms: number) {
    this.faults.latencyMs = ms;
  }

  get latencyMs(): number {
    return this.faults.latencyMs;
  }

  /** Kind of credentials the request carries, for the request log. */
  protected abstract authKind(req: FakeRequest): string;
  /** Authenticates (throw FakeHttpError 401/403) and sets `req.auth`; may refuse on a primary rate limit. */
  protected abstract authenticate(req: FakeRequest, tag: string | undefined): void;
  /** Headers added to every answer (rate-limit headers and the like). */
  protected abstract commonHeaders(req: FakeRequest): Record<string, string>;
  /** Body and headers of a refused request for an injected secondary rate limit. */
  protected abstract rateLimitedResponse(spec: RateLimitInjection): FakeResponse;
  protected notFoundBody(): unknown {
    return { message: 'Not Found' };
  }
  /** Checks an answer before it is sent (GitHub validates against the OpenAPI fixture). */
  protected checkResponse(_req: FakeRequest, _tag: string | undefined, _res: FakeResponse): void {
    // default: nothing to check
  }
  /** Last change to an answer before it is sent (GitHub: ETag and 304 Not Modified). */
  protected finalizeResponse(_req: FakeRequest, res: FakeResponse): FakeResponse {
    return res;
  }
  /** Whether a request counts as "while limited" (GitHub also checks its primary budget). */
  protected isLimited(_req: FakeRequest): boolean {
    return this.faults.isLimited();
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > this.maxBodyBytes) throw new FakeHttpError(413, { message: 'Request body too large' });
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private async dispatch(inc: IncomingMessage, out: ServerResponse): Promise<void> {
    const url = new URL(inc.url ?? '/', this.baseUrl);
    const method = (inc.method ?? 'GET').toUpperCase();
    let rawBody: Buffer = Buffer.alloc(0);
    let body: unknown;
    let parseError: FakeHttpError | undefined;
    try {
      rawBody = await this.readBody(inc);
      if (rawBody.length > 0) {
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          const type = String(inc.headers['content-type'] ?? '');
          if (type.includes('json') || type === '') parseError = new FakeHttpError(400, { message: 'Problems parsing JSON' });
        }
      }
    } catch (e) {
      parseError = e instanceof FakeHttpError ? e : new FakeHttpError(400, { message: 'Could not read the body' });
    }
    const req: FakeRequest = { method, path: url.pathname, url, query: url.searchParams, headers: inc.headers, rawBody, body, params: {} };
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      time: new Date(this.now()),
      authKind: this.authKind(req),
      body,
      whileLimited: this.isLimited(req),
    };
    this.log.push(record);

    let res: FakeResponse;
    try {
      res = await this.handle(req, parseError);
    } catch (e) {
      if (e instanceof FakeHttpError) {
        res =
          typeof e.body === 'string'
            ? { status: e.status, headers: { 'content-type': 'text/plain; charset=utf-8', ...e.headers }, raw: e.body }
            : { status: e.status, headers: e.headers, body: e.body };
      } else {
        this.internalErrors.push(e as Error);
        res = { status: 500, headers: { 'x-fake-scm-error': 'internal' }, body: { message: `fake-scm internal error: ${(e as Error).message}` } };
      }
    }
    try {
      this.checkResponse(req, req.routeTag, res);
    } catch (e) {
      this.internalErrors.push(e as Error);
      res = { status: 500, headers: { 'x-fake-scm-error': 'schema-drift' }, body: { message: `fake-scm: ${(e as Error).message}` } };
    }
    res = this.finalizeResponse(req, res);
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    record.status = res.status;
    let common: Record<string, string> = {};
    try {
      common = this.commonHeaders(req);
    } catch (e) {
      this.internalErrors.push(e as Error);
    }
    const headers: Record<string, string> = { ...common, ...(res.headers ?? {}) };
    let payload: string | Buffer = '';
    if (res.raw !== undefined) payload = res.raw;
    else if (res.body !== undefined) {
      payload = JSON.stringify(res.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
    if (!out.headersSent) {
      out.writeHead(res.status, headers);
      out.end(method === 'HEAD' ? undefined : payload);
    }
  }

  private async handle(req: FakeRequest, parseError: FakeHttpError | undefined): Promise<FakeResponse> {
    const failure = this.faults.takeFailure(req);
    if (failure) return { status: failure.status, body: failure.body ?? defaultFailureBody(failure.status) };
    const limit = this.faults.takeRateLimit(req);
    if (limit) return this.rateLimitedResponse(limit);

    const match = this.router.match(req.method === 'HEAD' ? 'GET' : req.method, req.path);
    if (match === undefined) throw new FakeHttpError(404, this.notFoundBody());
    if (match === 'method-not-allowed') throw new FakeHttpError(404, this.notFoundBody());
    req.params = match.params;
    this.authenticate(req, match.tag);
    if (parseError) throw parseError;
    req.routeTag = match.tag;
    return match.handler(req);
  }
}
