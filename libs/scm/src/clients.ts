import { createHash } from 'node:crypto';
import { BitbucketScm } from './bitbucket/bitbucket-scm';
import { BitbucketStatuses } from './bitbucket/bitbucket-statuses';
import type { GitHubCredentials } from './github/github-client';
import { GitHubScm } from './github/github-scm';
import { GitHubWrites } from './github/github-writes';
import { GitLabScm } from './gitlab/gitlab-scm';
import { GitLabStatuses } from './gitlab/gitlab-statuses';
import { ProviderHttp, type RetryPolicy } from './http/provider-http';
import { DEFAULT_MIN_WRITE_INTERVAL_MS, RateLimitGate } from './http/rate-limit-gate';

export type ScmProvider = 'github' | 'gitlab' | 'bitbucket';

type Logger = { warn(obj: object, msg: string): void };

export interface ScmClientsOptions {
  /** Spacing of writes per set of credentials; default 1 s (GitHub's guidance). */
  readonly minWriteIntervalMs?: number;
  /** GitLab and Bitbucket calls (GitHub's are Octokit's plugins'). */
  readonly retry?: RetryPolicy;
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * Who the credentials are, never what they are: a token by a short hash of it, a GitHub App
 * by its id. Safe in a map key and in a log line.
 */
export function credentialsIdentity(credentials: GitHubCredentials): string {
  return credentials.kind === 'app' ? `app:${credentials.appId}` : `token:${createHash('sha256').update(credentials.token).digest('hex').slice(0, 16)}`;
}

/** The API base as one spelling: origin lower-cased by URL, no trailing slash. */
function normaliseBase(apiUrl: string): string {
  const u = new URL(apiUrl);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * The registry of provider clients: one client stack and one rate budget (RateLimitGate) per
 * (provider, API base, credentials identity), handed to every caller in the process — the
 * catalogue's reader (repo-sync), the webhook recovery and commit-status's writers of an
 * all-in-one draw on one budget per installation or token. `sharedScmClients()` is the
 * process's registry; tests make their own.
 */
export class ScmClients {
  private readonly gates = new Map<string, RateLimitGate>();
  private readonly githubs = new Map<string, { scm: GitHubScm; writes: GitHubWrites }>();
  private readonly https = new Map<string, ProviderHttp>();
  private minWriteIntervalMs: number;

  constructor(private readonly options: ScmClientsOptions = {}) {
    this.minWriteIntervalMs = options.minWriteIntervalMs ?? DEFAULT_MIN_WRITE_INTERVAL_MS;
  }

  /** GitHub reads (ScmReader, ScmHookDeliveries) with these credentials. */
  githubScm(baseUrl: string, credentials: GitHubCredentials, logger?: Logger): GitHubScm {
    return this.github(baseUrl, credentials, logger).scm;
  }

  /** GitHub writes (statuses, check runs, deployments) with these credentials: the same clients and gate as `githubScm`. */
  githubWrites(baseUrl: string, credentials: GitHubCredentials): GitHubWrites {
    return this.github(baseUrl, credentials).writes;
  }

  gitlabStatuses(apiUrl: string, token: string): GitLabStatuses {
    return new GitLabStatuses(this.http('gitlab', apiUrl, token), normaliseBase(apiUrl), token);
  }

  /** GitLab reads (the parts of ScmReader config discovery uses) with this token: the same client and gate as `gitlabStatuses`. */
  gitlabScm(apiUrl: string, token: string): GitLabScm {
    return new GitLabScm(this.http('gitlab', apiUrl, token), normaliseBase(apiUrl), token);
  }

  bitbucketStatuses(apiUrl: string, token: string): BitbucketStatuses {
    return new BitbucketStatuses(this.http('bitbucket', apiUrl, token), normaliseBase(apiUrl), token);
  }

  /** Bitbucket Cloud reads (the parts of ScmReader config discovery uses): the same client and gate as `bitbucketStatuses`. */
  bitbucketScm(apiUrl: string, token: string): BitbucketScm {
    return new BitbucketScm(this.http('bitbucket', apiUrl, token), normaliseBase(apiUrl), token);
  }

  /** The rate budget of a set of credentials (metrics and tests). */
  gate(provider: ScmProvider, apiUrl: string, credentials: GitHubCredentials): RateLimitGate {
    const key = `${provider} ${normaliseBase(apiUrl)} ${credentialsIdentity(credentials)}`;
    let gate = this.gates.get(key);
    if (!gate) {
      gate = new RateLimitGate(undefined, undefined, undefined, this.minWriteIntervalMs);
      this.gates.set(key, gate);
    }
    return gate;
  }

  /** Write spacing of every set of credentials, now and later (COMMIT_STATUS_MIN_WRITE_INTERVAL_MS). */
  setMinWriteInterval(ms: number): void {
    this.minWriteIntervalMs = ms;
    for (const gate of this.gates.values()) gate.minWriteIntervalMs = ms;
  }

  private github(baseUrl: string, credentials: GitHubCredentials, logger?: Logger): { scm: GitHubScm; writes: GitHubWrites } {
    const key = `${normaliseBase(baseUrl)} ${credentialsIdentity(credentials)}`;
    let entry = this.githubs.get(key);
    if (!entry) {
      const scm = new GitHubScm({ baseUrl: normaliseBase(baseUrl), credentials, logger: logger ?? this.options.logger, gate: this.gate('github', baseUrl, credentials) });
      entry = { scm, writes: new GitHubWrites(scm) };
      this.githubs.set(key, entry);
    }
    return entry;
  }

  private http(provider: 'gitlab' | 'bitbucket', apiUrl: string, token: string): ProviderHttp {
    const key = `${provider} ${normaliseBase(apiUrl)} ${credentialsIdentity({ kind: 'token', token })}`;
    let http = this.https.get(key);
    if (!http) {
      http = new ProviderHttp({ gate: this.gate(provider, apiUrl, { kind: 'token', token }), retry: this.options.retry, timeoutMs: this.options.timeoutMs, userAgent: 'sluice' });
      this.https.set(key, http);
    }
    return http;
  }
}

let shared: ScmClients | undefined;

/** The process's registry: every service of a process (one service, or the all-in-one) takes its clients from it. */
export function sharedScmClients(): ScmClients {
  shared ??= new ScmClients();
  return shared;
}
