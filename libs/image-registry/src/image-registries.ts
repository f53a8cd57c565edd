import { createHash } from 'node:crypto';
import { parseChallenges, type AuthChallenge } from './challenge';
import { ImageReferenceError, RegistryCredentialsError, RegistryRequestError } from './errors';
import { assertManifestReference, hostAliases, isDigest, parseImageReference, type ImageReference } from './image-reference';
import type { ImageRegistrySettings, RegistryCredentials } from './settings';

/** The manifest media types Sluice accepts for a tag: OCI image manifest and index, Docker v2 manifest and manifest list. */
export const MANIFEST_MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const ACCEPT = Object.values(MANIFEST_MEDIA_TYPES).join(', ');

export type ManifestCheck =
  | { readonly exists: true; readonly digest: string; readonly mediaType: string }
  | { readonly exists: false; readonly status: 404 };

/** A pino logger fits; the client logs retries (warn) and token issues (debug), never a secret. */
export interface RegistryLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  debug(obj: Record<string, unknown>, msg: string): void;
}

export interface RegistryRetryPolicy {
  /** Tries in all, the first included; default 4. */
  readonly attempts?: number;
  /** Ceiling of the first delay; doubles per attempt (full jitter); default 250 ms. */
  readonly baseDelayMs?: number;
  /** Longest delay, Retry-After included; default 5 000 ms. */
  readonly maxDelayMs?: number;
}

export interface ImageRegistriesOptions {
  /** By registry `host[:port]` as image references name it (`docker.io`, `ghcr.io`, `127.0.0.1:55001`); anonymous for any other. */
  readonly credentials?: Readonly<Record<string, RegistryCredentials>>;
  /** Registries called over plain http besides loopback (`localhost`, `127.0.0.0/8`, `[::1]`), as `host[:port]` or `host`. */
  readonly insecureHosts?: readonly string[];
  /** Timeout of one request (registry or token server); default 10 000 ms. */
  readonly timeoutMs?: number;
  readonly retry?: RegistryRetryPolicy;
  readonly userAgent?: string;
  readonly logger?: RegistryLogger;
  readonly fetch?: typeof fetch;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

interface CachedToken {
  readonly value: string;
  readonly expiresAt: number;
}

type Auth = { readonly kind: 'none' } | { readonly kind: 'basic' } | { readonly kind: 'bearer'; readonly token: string; readonly fromCache: boolean };

const MAX_REDIRECTS = 3;
/** The token lifetime a token server means when it names none (Docker token spec). */
const DEFAULT_TOKEN_SECONDS = 60;
const TOKEN_CACHE_SWEEP_AT = 256;
const noopLogger: RegistryLogger = { warn: () => undefined, debug: () => undefined };

/**
 * Asks OCI distribution registries (Docker Hub, ghcr.io, Harbor, the CNCF registry, …) whether
 * an image tag exists: `HEAD /v2/<name>/manifests/<tag>` with Docker's token-auth flow (401 with
 * a Bearer challenge → token from the realm, with Basic credentials when the registry has some
 * configured → the request again with the token). Tokens are cached per registry and scope until
 * shortly before their `expires_in`. 5xx, 408, 429, timeouts and network errors are retried with
 * exponential backoff and full jitter; 401/403 after authenticating is RegistryCredentialsError.
 *
 * One instance per process: the token cache is its state.
 */
export class ImageRegistries {
  private readonly credentials: ReadonlyMap<string, RegistryCredentials>;
  private readonly insecureHosts: ReadonlySet<string>;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly logger: RegistryLogger;
  private readonly fetchFn: typeof fetch;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pendingTokens = new Map<string, Promise<string>>();

  constructor(private readonly options: ImageRegistriesOptions = {}) {
    this.credentials = new Map(Object.entries(options.credentials ?? {}).map(([host, c]) => [host.toLowerCase(), c]));
    this.insecureHosts = new Set((options.insecureHosts ?? []).map((h) => h.toLowerCase()));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.attempts = Math.max(1, options.retry?.attempts ?? 4);
    this.baseDelayMs = options.retry?.baseDelayMs ?? 250;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 5_000;
    this.logger = options.logger ?? noopLogger;
    this.fetchFn = options.fetch ?? fetch;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  /** From the loaded config (`imageRegistrySettings`): SLUICE_REGISTRY_CREDENTIALS, SLUICE_REGISTRY_INSECURE_HOSTS, SLUICE_REGISTRY_TIMEOUT_MS. */
  static fromSettings(
    settings: ImageRegistrySettings,
    options: Omit<ImageRegistriesOptions, 'credentials' | 'insecureHosts' | 'timeoutMs'> = {},
  ): ImageRegistries {
    return new ImageRegistries({
      ...options,
      credentials: settings.SLUICE_REGISTRY_CREDENTIALS,
      insecureHosts: settings.SLUICE_REGISTRY_INSECURE_HOSTS,
      timeoutMs: settings.SLUICE_REGISTRY_TIMEOUT_MS,
    });
  }

  /**
   * Whether `<imageRef>:<tag>` exists. `imageRef` is the repository without tag (`ghcr.io/acme/billing`,
   * `nginx`); `tag` a tag or a digest. Throws ImageReferenceError for a malformed reference or tag,
   * RegistryCredentialsError when the registry refuses the credentials (or anonymous access), and
   * RegistryRequestError for anything else that failed after retries.
   */
  async manifestExists(imageRef: string, tag: string): Promise<ManifestCheck> {
    const ref = parseImageReference(imageRef);
    assertManifestReference(tag);
    // Tags ([\w.-]) and digests ([a-z0-9+._-]:[a-zA-Z0-9=_-]) need no escaping in a path.
    const url = new URL(`${this.baseUrl(ref.apiHost)}/v2/${ref.repository}/manifests/${tag}`);
    const scope = `repository:${ref.repository}:pull`;
    const cacheKey = `${ref.apiHost} ${scope}`;
    const credentials = this.credentialsFor(ref);
    const cached = this.cachedToken(cacheKey);
    let auth: Auth = cached === undefined ? { kind: 'none' } : { kind: 'bearer', token: cached, fromCache: true };

    // At most: a cached token refused (revoked early) → anonymous → challenge → token → answer.
    for (let round = 0; round < 4; round++) {
      const res = await this.exchange('HEAD', url, this.headers(auth, credentials), ref);
      if (res.status === 401) {
        await discard(res);
        if (auth.kind === 'bearer' && auth.fromCache) {
          this.tokens.delete(cacheKey);
          auth = { kind: 'none' };
          continue;
        }
        if (auth.kind !== 'none') throw this.refused(ref, 401, credentials);
        const challenge = pickChallenge(parseChallenges(res.headers.get('www-authenticate')));
        if (challenge?.scheme === 'bearer') {
          auth = { kind: 'bearer', token: await this.bearerToken(ref, challenge, scope, cacheKey, credentials), fromCache: false };
          continue;
        }
        if (challenge?.scheme === 'basic' && credentials !== undefined) {
          auth = { kind: 'basic' };
          continue;
        }
        throw this.refused(ref, 401, undefined, credentials !== undefined);
      }
      if (res.status === 403) {
        await discard(res);
        throw auth.kind === 'none' ? this.refused(ref, 403, undefined, credentials !== undefined) : this.refused(ref, 403, credentials);
      }
      if (res.status === 404) {
        await discard(res);
        return { exists: false, status: 404 };
      }
      if (res.status >= 200 && res.status < 300) {
        await discard(res);
        return this.describeManifest(url, res, auth, credentials, ref);
      }
      await discard(res);
      throw new RegistryRequestError(res.status, `HEAD ${redact(url)}: ${res.status}`, transientStatus(res.status));
    }
    throw this.refused(ref, 401, credentials);
  }

  /** The digest and media type of a found manifest; a registry that leaves either out of HEAD is asked with GET. */
  private async describeManifest(url: URL, head: Response, auth: Auth, credentials: RegistryCredentials | undefined, ref: ImageReference): Promise<ManifestCheck> {
    const headDigest = head.headers.get('docker-content-digest');
    const headType = mediaTypeOf(head.headers.get('content-type'));
    if (headDigest !== null && isDigest(headDigest) && headType !== undefined) return { exists: true, digest: headDigest, mediaType: headType };
    const res = await this.exchange('GET', url, this.headers(auth, credentials), ref);
    if (res.status < 200 || res.status >= 300) {
      await discard(res);
      throw new RegistryRequestError(res.status, `GET ${redact(url)}: ${res.status} after HEAD found the manifest`, transientStatus(res.status));
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = res.headers.get('docker-content-digest') ?? headDigest;
    let mediaType = mediaTypeOf(res.headers.get('content-type')) ?? headType;
    if (mediaType === undefined) {
      try {
        const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
        if (typeof declared === 'string') mediaType = declared;
      } catch {
        // Not JSON: no media type to read from it.
      }
    }
    if (mediaType === undefined) throw new RegistryRequestError(res.status, `GET ${redact(url)}: the manifest has no media type`, false);
    return { exists: true, digest: digest !== null && isDigest(digest) ? digest : `sha256:${createHash('sha256').update(bytes).digest('hex')}`, mediaType };
  }

  private bearerToken(ref: ImageReference, challenge: AuthChallenge, scope: string, cacheKey: string, credentials: RegistryCredentials | undefined): Promise<string> {
    const pending = this.pendingTokens.get(cacheKey);
    if (pending) return pending;
    const fetching = this.fetchToken(ref, challenge, scope, cacheKey, credentials).finally(() => this.pendingTokens.delete(cacheKey));
    this.pendingTokens.set(cacheKey, fetching);
    return fetching;
  }

  /**
   * The realm is the one URL taken from an answer rather than built from configuration — the
   * token flow works that way (Docker Hub's is on another host). So it must be https, unless it is
   * loopback or a configured insecure host, before credentials go to it; and it may redirect on
   * its own origin only.
   */
  private async fetchToken(ref: ImageReference, challenge: AuthChallenge, scope: string, cacheKey: string, credentials: RegistryCredentials | undefined): Promise<string> {
    let url: URL;
    try {
      url = new URL(challenge.params.realm ?? '');
    } catch {
      throw new RegistryRequestError(401, `the registry ${ref.registry} sent a Bearer challenge without a valid realm`, false);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.plainHttpAllowed(url.host))) {
      throw new RegistryRequestError(401, `the registry ${ref.registry} named a token realm ${redact(url)} that is not https (plain http only for loopback and insecure hosts)`, false);
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.userAgent() };
    if (credentials) headers.Authorization = basic(credentials);
    const res = await this.exchange('GET', url, headers, ref);
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw this.refused(ref, res.status, credentials);
    }
    if (res.status < 200 || res.status >= 300) {
      await discard(res);
      throw new RegistryRequestError(res.status, `GET ${redact(url)} (token for ${ref.registry}): ${res.status}`, transientStatus(res.status));
    }
    const body = (await res.json().catch(() => null)) as { token?: unknown; access_token?: unknown; expires_in?: unknown } | null;
    const token = typeof body?.token === 'string' && body.token !== '' ? body.token : body?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryRequestError(res.status, `GET ${redact(url)} (token for ${ref.registry}): the answer has neither token nor access_token`, false);
    }
    const seconds = typeof body?.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    // Used until a little before it expires, so a request never carries a token that runs out on the way.
    const lifetimeMs = seconds * 1000;
    this.storeToken(cacheKey, { value: token, expiresAt: this.now() + lifetimeMs - Math.min(30_000, lifetimeMs / 10) });
    this.logger.debug({ registry: ref.registry, scope, expiresInSeconds: seconds, user: credentials?.username ?? null }, 'registry token issued');
    return token;
  }

  private cachedToken(key: string): string | undefined {
    const entry = this.tokens.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry.value;
    this.tokens.delete(key);
    return undefined;
  }

  private storeToken(key: string, token: CachedToken): void {
    if (this.tokens.size >= TOKEN_CACHE_SWEEP_AT) {
      const now = this.now();
      for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
    }
    this.tokens.set(key, token);
  }

  /** One request with retries of transient failures; returns every other answer for the caller to judge. */
  private async exchange(method: 'HEAD' | 'GET', url: URL, headers: Record<string, string>, ref: ImageReference): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchSameOrigin(method, url, headers);
      } catch (err) {
        if (err instanceof RegistryRequestError) throw err;
        const reason = this.failureReason(err);
        if (attempt >= this.attempts) {
          throw new RegistryRequestError(0, `${method} ${redact(url)}: ${reason} (${attempt} attempts)`, true);
        }
        const delayMs = this.backoff(attempt);
        this.logger.warn({ registry: ref.registry, repository: ref.repository, method, url: redact(url), attempt, delayMs, reason }, 'registry request failed; retrying');
        await this.sleep(delayMs);
        continue;
      }
      if (!transientStatus(res.status) || attempt >= this.attempts) return res;
      const delayMs = this.backoff(attempt, retryAfterMs(res.headers.get('retry-after'), this.now()));
      await discard(res);
      this.logger.warn({ registry: ref.registry, repository: ref.repository, method, url: redact(url), attempt, delayMs, status: res.status }, 'registry request failed; retrying');
      await this.sleep(delayMs);
    }
  }

  /** fetch that follows redirects on the same origin only, so Authorization never reaches another host. */
  private async fetchSameOrigin(method: string, url: URL, headers: Record<string, string>): Promise<Response> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await this.fetchFn(current, { method, headers, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (location === null) return res;
      await discard(res);
      const next = new URL(location, current);
      if (next.origin !== current.origin || hop >= MAX_REDIRECTS) {
        throw new RegistryRequestError(res.status, `${method} ${redact(current)}: ${res.status} redirect to another origin (or too many redirects) not followed`, false);
      }
      current = next;
    }
  }

  /** Full jitter: a random delay up to base × 2^(attempt-1), capped; a Retry-After (capped too) is waited at least. */
  private backoff(attempt: number, retryAfter?: number): number {
    const jittered = Math.round(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)));
    return retryAfter === undefined ? jittered : Math.max(jittered, Math.min(this.maxDelayMs, retryAfter));
  }

  private failureReason(err: unknown): string {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${this.timeoutMs} ms`;
    return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  }

  private headers(auth: Auth, credentials: RegistryCredentials | undefined): Record<string, string> {
    const headers: Record<string, string> = { Accept: ACCEPT, 'User-Agent': this.userAgent() };
    if (auth.kind === 'bearer') headers.Authorization = `Bearer ${auth.token}`;
    if (auth.kind === 'basic' && credentials) headers.Authorization = basic(credentials);
    return headers;
  }

  private refused(ref: ImageReference, status: number, sent: RegistryCredentials | undefined, configured = sent !== undefined): RegistryCredentialsError {
    return new RegistryCredentialsError(ref.registry, ref.repository, status, sent?.username, configured);
  }

  private credentialsFor(ref: ImageReference): RegistryCredentials | undefined {
    for (const host of hostAliases(ref)) {
      const found = this.credentials.get(host.toLowerCase());
      if (found) return found;
    }
    return undefined;
  }

  private baseUrl(apiHost: string): string {
    return `${this.plainHttpAllowed(apiHost) ? 'http' : 'https'}://${apiHost}`;
  }

  /** Loopback, or a configured insecure host (by host:port or by host alone). */
  private plainHttpAllowed(hostPort: string): boolean {
    const lower = hostPort.toLowerCase();
    let hostname: string;
    try {
      hostname = new URL(`http://${lower}`).hostname;
    } catch {
      throw new ImageReferenceError(`${JSON.stringify(hostPort)} is not a registry host`);
    }
    if (hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)) return true;
    return this.insecureHosts.has(lower) || this.insecureHosts.has(hostname);
  }

  private userAgent(): string {
    return this.options.userAgent ?? 'sluice';
  }
}

/** Bearer before Basic: a registry offering both prefers the token flow. */
function pickChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

function basic(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

function transientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function mediaTypeOf(contentType: string | null): string | undefined {
  const type = contentType?.split(';')[0].trim();
  return type ? type : undefined;
}

/** Retry-After in seconds or as an HTTP date → ms from now. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Errors and logs name a URL without its query: a token server's query is the caller's business. */
function redact(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Frees the connection of an answer whose body is not read. */
async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}
