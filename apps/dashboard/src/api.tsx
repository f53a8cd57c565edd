// The Sluice REST API as the dashboard uses it (docs/openapi.json): the token from sessionStorage
// as `Authorization: Bearer`, and an error answer ({"error":{"code","message"}}) turned into an
// ApiError that carries the API's message as written.
import { useCallback, useEffect, useRef, useState } from 'react';

const TOKEN_KEY = 'sluice.token';
const TEAM_KEY = 'sluice.team';

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(TEAM_KEY);
  },
};

/** The team a person in several teams acts for (sent as `X-Sluice-Team`); none until they choose. */
export const teamStore = {
  get: (): string | null => sessionStorage.getItem(TEAM_KEY),
  set: (team: string): void => sessionStorage.setItem(TEAM_KEY, team),
};

const teamChoiceListeners = new Set<(teams: readonly string[]) => void>();

/** Called when the API asks which team the signed-in person acts for (403 `team_required`, with their teams); returns the unsubscribe. */
export function onTeamChoice(listener: (teams: readonly string[]) => void): () => void {
  teamChoiceListeners.add(listener);
  return () => teamChoiceListeners.delete(listener);
}

const unauthorizedListeners = new Set<(error: ApiError) => void>();

/** Called when the API refuses the signed-in token (401), e.g. an expired ID token; returns the unsubscribe. */
export function onUnauthorized(listener: (error: ApiError) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** A refusal or failure: the API's `error` ({code, message}) with the HTTP status (0: no answer). */
export class ApiError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(
    readonly status: number,
    error: { readonly code: string; readonly message: string; readonly details?: Readonly<Record<string, unknown>> },
  ) {
    super(error.message);
    this.code = error.code;
    this.details = error.details;
  }
}

/** Anything thrown while talking to the API, as an ApiError to show. */
export const asApiError = (error: unknown): ApiError => (error instanceof ApiError ? error : new ApiError(0, { code: 'client', message: (error as Error).message }));

/**
 * The last answer of each GET, by token, team and path: its ETag and body. A poll sends the ETag
 * back as `If-None-Match`; the API's 304 means the body it would send is this one. Keyed by the
 * token and the team (the answers depend on them), so an ETag is never sent with another token.
 */
interface Revalidated {
  readonly etag: string;
  readonly value: unknown;
}
const revalidated = new Map<string, Revalidated>();
/** Enough for every URL a page polls; the oldest is forgotten first (the DORA page's window moves). */
const REVALIDATED_KEPT = 200;

/** Per poll (its AbortSignal): how many answers were new (anything but a 304), for `usePoll`. */
const changesOf = new WeakMap<AbortSignal, { count: number }>();

export async function api<T>(path: string, init: { method?: string; body?: unknown; token?: string; signal?: AbortSignal } = {}): Promise<T> {
  const token = init.token ?? tokenStore.get();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  const team = init.token === undefined ? teamStore.get() : null;
  if (team) headers['x-sluice-team'] = team;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const method = init.method ?? 'GET';
  const key = method === 'GET' && init.body === undefined ? JSON.stringify([token, team, path]) : null;
  const known = key === null ? undefined : revalidated.get(key);
  if (known) {
    headers['if-none-match'] = known.etag;
    // A conditional request with no cache of the browser's is sent with `Cache-Control: no-cache`
    // unless it has one: the API would take it for a reload and answer the whole body.
    headers['cache-control'] = 'max-age=0';
  }
  let res: Response;
  try {
    // `no-store`: the browser's cache stays out of it; the revalidation is this module's.
    res = await fetch(path, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: init.signal, cache: 'no-store' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, { code: 'unreachable', message: `Sluice is unreachable: ${(error as Error).message}` });
  }
  if (res.status === 304 && known) {
    // Unchanged: the same body, the same object (no new state for React).
    revalidated.delete(key!);
    revalidated.set(key!, known);
    return known.value as T;
  }
  const changes = init.signal ? changesOf.get(init.signal) : undefined;
  if (changes) changes.count += 1;
  if (!res.ok) {
    if (key !== null) revalidated.delete(key);
    const refusal = await refusalOf(res);
    // The stored token no longer works: the app goes back to sign-in (a token being tried is not the stored one).
    if (res.status === 401 && init.token === undefined && token) unauthorizedListeners.forEach((l) => l(refusal));
    // A person in several teams: the dashboard asks which one they act for.
    const teams = refusal.details?.['teams'];
    if (res.status === 403 && (refusal.code === 'team_required' || refusal.code === 'not_a_member') && Array.isArray(teams)) teamChoiceListeners.forEach((l) => l(teams as string[]));
    throw refusal;
  }
  const text = await res.text();
  const value = (text ? JSON.parse(text) : null) as T;
  const etag = res.headers.get('etag');
  if (key !== null) {
    revalidated.delete(key);
    if (etag) {
      revalidated.set(key, { etag, value });
      if (revalidated.size > REVALIDATED_KEPT) revalidated.delete(revalidated.keys().next().value!);
    }
  }
  return value;
}

/** An answer that is not a success, as an ApiError: the API's {"error":{"code","message"}}, else its text. */
export async function refusalOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  let error: { code?: string; message?: string; details?: Record<string, unknown> } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }).error;
  } catch {
    error = undefined;
  }
  return new ApiError(res.status, { code: error?.code ?? `http_${res.status}`, message: error?.message ?? (text.trim() || res.statusText), details: error?.details });
}

export interface Poll<T> {
  readonly data: T | undefined;
  readonly error: ApiError | undefined;
  /** Load again now (after a command), without waiting for the next tick. */
  readonly refresh: () => void;
}

/**
 * Polls `load` every `intervalMs` while mounted: pages follow Sluice without a reload. Each GET is
 * a revalidation (`If-None-Match`, see `api`): when every answer of a poll is the API's 304, the
 * data is left as it is and nothing renders again. The last good data stays on an error.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], intervalMs = 2000): Poll<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    const changes = { count: 0 };
    changesOf.set(controller.signal, changes);
    // The first load after a change of `deps` (or a refresh) is always shown.
    let loaded = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      const before = changes.count;
      try {
        const value = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        if (!loaded || changes.count !== before) setData(value);
        loaded = true;
        setError(undefined);
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(asApiError(e));
      }
      timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs]);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, refresh };
}

export interface Pin {
  readonly by: string;
  readonly reason: string;
  readonly at: string;
}

export interface Config {
  readonly name: string;
  readonly team: string;
  readonly namespace: string;
  readonly configRepo: string;
  readonly path: string;
  readonly artifact: { readonly repo: string; readonly image: string; readonly build: string | null } | null;
  readonly track: { readonly branch: string };
  readonly autodeploy: boolean;
  readonly status: 'active' | 'removed';
  readonly current: { readonly artifactSha: string | null; readonly configSha: string | null; readonly deployId: string | null };
  /** Phase of the deploy requested last (`lastDeployId`). */
  readonly phase: string | null;
  readonly lastDeployId: string | null;
  readonly inFlightDeployId: string | null;
  readonly pin: Pin | null;
  /** The config repository commit the config was last read at. */
  readonly rootSha: string | null;
  readonly updatedAt: string;
}

export interface Step {
  readonly name: string;
  readonly state: 'pending' | 'started' | 'done' | 'failed' | 'skipped';
  readonly result: string | null;
  readonly error: { readonly reason: string; readonly message: string } | null;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
}

export interface Deploy {
  readonly id: string;
  readonly config: string;
  readonly team: string;
  readonly kind: 'deploy' | 'undeploy';
  readonly artifactSha: string | null;
  readonly configSha: string | null;
  readonly imageTag: string | null;
  readonly cause: string;
  readonly requestedBy: string;
  readonly reason: string;
  readonly reappliedFrom: string | null;
  readonly phase: string;
  readonly failure: { readonly reason: string; readonly message: string } | null;
  readonly steps: readonly Step[];
  readonly timestamps: {
    readonly requestedAt: string | null;
    readonly queuedAt: string | null;
    readonly succeededAt?: string | null;
    readonly failedAt?: string | null;
    readonly supersededAt?: string | null;
    readonly undeployedAt?: string | null;
    readonly updatedAt: string;
  };
}

export interface HistoryEntry {
  readonly streamVersion: number;
  readonly eventId: string;
  readonly type: string;
  readonly deployId: string | null;
  readonly actor: string | null;
  readonly reason: string | null;
  readonly message: string | null;
  readonly occurredAt: string;
}

export const short = (sha: string | null | undefined): string => (sha ? sha.slice(0, 7) : '—');
export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
export const configPath = (name: string): string => `/api/configs/${encodeURIComponent(name)}`;

/** A repository's catalogue route: `/api/repos/<owner>/<name>`, or a GitLab subgroup path as one encoded segment (`/api/repos/acme%2Fplatform%2Fbilling`). */
export function repoPath(repo: string): string {
  const parts = repo.split('/');
  return parts.length === 2 ? `/api/repos/${parts.map(encodeURIComponent).join('/')}` : `/api/repos/${encodeURIComponent(repo)}`;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * A commit of `repo` as a person names it: a full SHA as it is, a branch name as its head in
 * Sluice's catalogue (`GET /api/repos/{owner}/{name}/branches`), as the CLI resolves `--artifact`.
 */
export async function commitOf(repo: string, ref: string, what: string): Promise<string> {
  const wanted = ref.trim();
  if (FULL_SHA.test(wanted)) return wanted;
  if (/^[0-9a-f]{7,39}$/.test(wanted)) throw new ApiError(0, { code: 'client', message: `${what}: give the full 40-character SHA or a branch name, not "${wanted}"` });
  const { items } = await api<{ items: Array<{ name: string; headSha: string }> }>(`${repoPath(repo)}/branches`);
  const branch = items.find((b) => b.name === wanted);
  if (!branch) throw new ApiError(0, { code: 'client', message: `${what}: ${repo} has no branch "${wanted}" in Sluice's catalogue` });
  return branch.headSha;
}
