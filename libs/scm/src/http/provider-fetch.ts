import { ScmRequestError } from '../errors';

const MAX_REDIRECTS = 3;
/** Longest provider error message kept in an error (and so in statuses and logs). */
const MAX_MESSAGE = 200;

/**
 * fetch that follows redirects only on the same origin: the trusted API host may move a
 * renamed repository, but never hands the Authorization header on to another host. Every
 * provider client sends through it (the GitHub Octokit stack as well as the GitLab and
 * Bitbucket clients).
 */
export async function sameOriginFetch(input: string | URL | Request, init: RequestInit = {}, fetchFn: typeof fetch = fetch): Promise<Response> {
  let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const method = init.method ?? (input instanceof Request ? input.method : 'GET');
  for (let hop = 0; ; hop++) {
    const res = await fetchFn(url, { ...init, redirect: 'manual' });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
    if (location === null) return res;
    await res.body?.cancel();
    const next = new URL(location, url);
    if (next.origin !== new URL(url).origin || hop >= MAX_REDIRECTS) {
      throw new ScmRequestError(res.status, `${method} ${redactUrl(url)}: ${res.status} redirect to another origin (or too many redirects) not followed`, false);
    }
    url = next.href;
  }
}

/**
 * What of a failed answer goes into an error: only the provider's own JSON `message` field
 * (GitHub, GitLab and Bitbucket all explain a refusal there), one line, cut short; never the
 * raw body, which could be any server's page.
 */
export function providerMessage(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const message = (body as { message?: unknown }).message;
  if (typeof message !== 'string') return '';
  return message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_MESSAGE);
}

/** Query strings may carry tokens on some providers: never put them in an error or a log. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** `GET https://host/path: 502 message` — the form of every failed provider call's message. */
export function failureMessage(method: string, url: string, status: number | string, body: unknown): string {
  return `${method} ${redactUrl(url)}: ${status} ${providerMessage(body)}`.trim();
}
