import type { Transaction } from '@sluice/event-store';
import type { CommitStatusSpec, ProviderIds, ProviderKind, RepoIdentity, StatusFields, SyncStatus } from '../domain/model';
import type { ObservedStatus } from '../domain/reconcile';

/** A CommitStatus: a Kubernetes resource, or a PostgreSQL record when no cluster is configured. */
export interface CommitStatusKey {
  readonly namespace: string;
  readonly name: string;
}

export interface CommitStatusRecord {
  readonly key: CommitStatusKey;
  readonly generation: number;
  readonly spec: CommitStatusSpec;
  readonly status: SyncStatus | null;
  /** True for the records Sluice created from deploy events. */
  readonly ownedBySluice: boolean;
}

export type ScmCredentials =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'github-app'; readonly appId: string; readonly privateKey: string; readonly installationId?: number };

/** A GitRepo resolved to its repository and the credentials to write statuses with. */
export interface ResolvedRepo {
  readonly identity: RepoIdentity;
  readonly credentials: ScmCredentials;
}

/** A config's status as Sluice wants it (from deploy events). */
export interface OwnedStatusInput {
  readonly config: string;
  /** `owner/name` on `provider`. */
  readonly repo: string;
  /** The provider `repo` lives on; absent = github. */
  readonly provider?: ProviderKind;
  readonly sha: string;
  readonly fields: StatusFields;
  /** The commit the status was on before `sha` and its last phase (`spec.previous`; its GitRepo is Sluice's of `repo` on `provider`). */
  readonly previous?: {
    readonly repo: string;
    readonly provider?: ProviderKind;
    readonly sha: string;
    readonly fields: Omit<StatusFields, 'name'>;
  };
}

/** Filter of the read API. */
export interface CommitStatusQuery {
  readonly repo: string;
  readonly sha?: string;
}

/**
 * The storage port: the same reconcile code runs on Kubernetes resources (watch-driven) and
 * on PostgreSQL records (polled).
 */
export interface CommitStatusStore {
  readonly kind: 'kubernetes' | 'postgres';
  get(key: CommitStatusKey): Promise<CommitStatusRecord | null>;
  /** Replaces the status (the status subresource in Kubernetes). */
  writeStatus(key: CommitStatusKey, status: SyncStatus): Promise<void>;
  /** Throws GitRepoUnusableError when the GitRepo or its credentials are missing or invalid. */
  resolveGitRepo(namespace: string, gitRepoName: string): Promise<ResolvedRepo>;
  /** Credentials for a repository the resource tracked before (to cancel there); null when none is known any more. */
  credentialsFor(namespace: string, identity: RepoIdentity): Promise<ResolvedRepo | null>;
  /**
   * Whether `upsertOwned` writes through the given transaction (PostgreSQL). When false (the
   * Kubernetes API server) it is a network call, made after the consumer's transaction commits.
   */
  readonly transactionalOwnedWrites: boolean;
  /**
   * Sluice's GitRepo of a repository (`owner/name` on `provider`, default GitHub), created when
   * missing, as `upsertOwned` creates it; its name. For writes on a repository no deploy has
   * reported on yet (a preview's pull request). A network call in Kubernetes: never inside a transaction.
   */
  ensureOwnedGitRepo(repo: string, provider?: ProviderKind): Promise<string>;
  /** Creates or updates the spec of a config's status (and its GitRepo when missing). */
  upsertOwned(input: OwnedStatusInput, manager?: Transaction): Promise<CommitStatusKey>;
  /** Records whose spec or SCM target is on a commit of `repo`. */
  query(query: CommitStatusQuery): Promise<CommitStatusRecord[]>;
  /** Starts telling `onChange` which records need a reconcile (watch or poll, plus periodic resync). */
  start(onChange: (key: CommitStatusKey) => void): Promise<void>;
  stop(): Promise<void>;
}

export interface StatusTarget {
  readonly repo: ResolvedRepo;
  readonly sha: string;
}

/** One SCM's commit-status API (GitHub check runs or statuses, GitLab, Bitbucket). */
export interface ScmStatusProvider {
  /** What the SCM holds for (repo, sha, desired.name), compared with `desired`; null when nothing. */
  read(target: StatusTarget, desired: StatusFields, known: ProviderIds | undefined): Promise<ObservedStatus | null>;
  /** Makes the SCM hold `desired`; returns what it holds afterwards. */
  write(target: StatusTarget, desired: StatusFields, existing: ObservedStatus | null, known: ProviderIds | undefined): Promise<ObservedStatus>;
}

export interface ScmStatusProviders {
  forRepo(repo: ResolvedRepo): ScmStatusProvider;
}

/** Where `commit-status.synced` goes (the event store in the service). */
export interface SyncedEventSink {
  synced(data: {
    repo: RepoIdentity;
    sha: string;
    name: string;
    phase: CommitStatusSpec['phase'];
    isSynced: boolean;
    syncFailure: string | null;
  }): Promise<void>;
}

export const COMMIT_STATUS_STORE = Symbol('COMMIT_STATUS_STORE');
export const SCM_STATUS_PROVIDERS = Symbol('SCM_STATUS_PROVIDERS');
export const SYNCED_EVENT_SINK = Symbol('SYNCED_EVENT_SINK');

export function keyString(key: CommitStatusKey): string {
  return `${key.namespace}/${key.name}`;
}
