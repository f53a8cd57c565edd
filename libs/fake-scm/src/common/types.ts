import type { IncomingHttpHeaders } from 'node:http';

export interface FakeRequest {
  readonly method: string;
  /** Raw path without the query string (still URL-encoded). */
  readonly path: string;
  readonly url: URL;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  /** Parsed JSON body; undefined when there was none. */
  readonly body: unknown;
  params: Record<string, string>;
  /** Set by the provider's authentication step. */
  auth?: { kind: string; identity?: string };
  /** Tag of the matched route (GitHub: the OpenAPI operationId). */
  routeTag?: string;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON unless `raw` is set. */
  body?: unknown;
  raw?: string | Buffer;
}

/** A handler throws this to answer with an error response. */
export class FakeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body && 'message' in body ? String((body as { message: unknown }).message) : `HTTP ${status}`);
    this.name = 'FakeHttpError';
  }
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly time: Date;
  /** `token`, `bearer`, `jwt`, `installation`, `basic`, `private-token`, `none`, ... */
  readonly authKind: string;
  readonly body: unknown;
  /** Status the fake answered with (set when the response is sent). */
  status?: number;
  /** True when the request arrived while the client had been told to wait (rate limited). */
  readonly whileLimited: boolean;
}
