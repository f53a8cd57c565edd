/**
 * Which SCM API hosts Sluice may send a provider token to. A GitRepo names its own `apiUrl`,
 * and anyone who may write a GitRepo could otherwise point Sluice (and the credentials it
 * holds) at a server of their choosing. Only configured origins are trusted: the provider
 * base URLs of the configuration and the operator's allow-list (`SLUICE_SCM_API_HOSTS`, for
 * GitHub Enterprise or self-managed GitLab). The configuration accepts only https origins in
 * the allow-list, so an http API is reachable only when a configured base URL is http
 * itself (local fakes in tests and the demo).
 */
export class ApiOriginPolicy {
  private readonly origins: readonly string[];

  /** `bases`: the configured provider base URLs; `extra`: further trusted origins (`https://host[:port]`). */
  constructor(bases: readonly string[], extra: readonly string[] = []) {
    const all = [...bases, ...extra].map((u) => originOf(u)).filter((o): o is string => o !== null);
    this.origins = [...new Set(all)];
  }

  /** The trusted origins, for messages. */
  get allowed(): readonly string[] {
    return this.origins;
  }

  /** Null when `apiUrl` may be called; else why not (names the allowed origins, never any answer). */
  refusal(apiUrl: string): string | null {
    let url: URL;
    try {
      url = new URL(apiUrl);
    } catch {
      return `apiUrl is not a URL; allowed API origins: ${this.origins.join(', ')}`;
    }
    if (url.username || url.password) return 'apiUrl must not carry credentials';
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return `apiUrl must be https; allowed API origins: ${this.origins.join(', ')}`;
    if (this.origins.includes(url.origin)) return null;
    return `apiUrl origin ${url.origin} is not an allowed SCM API origin (allowed: ${this.origins.join(', ')}; an operator may add https origins to SLUICE_SCM_API_HOSTS)`;
  }
}

function originOf(u: string): string | null {
  try {
    const url = new URL(u);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}
