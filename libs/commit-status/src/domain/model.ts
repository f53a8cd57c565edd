import type { CommitStatusPhase } from '@sluice/contracts';

/** The five phases of the CommitStatus API (the seed design); provider words never leak into it. */
export type Phase = CommitStatusPhase;
export const PHASES: readonly Phase[] = ['queued', 'in_progress', 'success', 'failure', 'canceled'];

/** A status that may still change: moving the resource away from its commit cancels it first. */
export function isActive(phase: Phase | null | undefined): boolean {
  return phase === 'queued' || phase === 'in_progress';
}

/** A final outcome: written on a commit the resource moved away from if the SCM does not hold it yet (never replaced by `canceled`). */
export function isFinal(phase: Phase | null | undefined): phase is 'success' | 'failure' {
  return phase === 'success' || phase === 'failure';
}

export type ProviderKind = 'github' | 'gitlab' | 'bitbucket';
export const PROVIDER_KINDS: readonly ProviderKind[] = ['github', 'gitlab', 'bitbucket'];

/** What one commit status says, in CommitStatus terms. */
export interface StatusFields {
  readonly name: string;
  readonly description: string;
  readonly phase: Phase;
  /** Details link; null when none. */
  readonly url: string | null;
}

/**
 * `spec.previous`: the commit the resource was on before `sha`, and the last phase it reached
 * there — set by whoever moves `sha`, from the spec it replaces (issue #23). The status name is
 * the spec's. The reconciler writes a final phase (success, failure) there if the SCM does not
 * hold it yet, and cancels only what never reached one.
 */
export interface PreviousCommitSpec {
  /** The GitRepo of that commit; absent = the spec's. */
  readonly gitRepoRef?: { readonly name: string };
  readonly sha: string;
  readonly phase: Phase;
  readonly description: string;
  readonly url: string | null;
}

/** The spec of a CommitStatus resource (or PostgreSQL record). */
export interface CommitStatusSpec extends StatusFields {
  readonly gitRepoRef: { readonly name: string };
  readonly sha: string;
  readonly previous?: PreviousCommitSpec;
}

/**
 * Which repository a status lives in. Two GitRepos naming the same provider, API base and
 * path are the same repository; any other change moves the status (and cancels the old one).
 */
export interface RepoIdentity {
  readonly provider: ProviderKind;
  /** The API base the status is written through (GitHub Enterprise, self-managed GitLab). */
  readonly apiUrl: string;
  /** `owner/name`; for GitLab the owner may be a nested group path. */
  readonly fullName: string;
}

export function sameRepo(a: RepoIdentity, b: RepoIdentity): boolean {
  return a.provider === b.provider && a.apiUrl === b.apiUrl && a.fullName === b.fullName;
}

/** Provider ids of the status object, kept so that it is updated in place. */
export interface ProviderIds {
  readonly github?: { readonly checkRunId: number };
  readonly gitlab?: { readonly projectId?: number; readonly commitStatusId: number; readonly pipelineId?: number };
  readonly bitbucket?: { readonly key: string; readonly uuid?: string };
}

/** `status` of a CommitStatus: what the SCM holds for it, as of the last sync. */
export interface SyncStatus {
  readonly updatedAt: string;
  readonly observedGeneration: number;
  readonly isSynced: boolean;
  readonly syncFailure: { readonly message: string } | null;
  /** The repository tracked in the SCM (`owner/name`) and the provider/API base it lives on. */
  readonly repo?: string;
  readonly scm?: { readonly provider: ProviderKind; readonly apiUrl: string };
  readonly sha?: string;
  /** The fields the SCM actually holds; absent when it holds nothing for this commit. */
  readonly name?: string;
  readonly description?: string;
  readonly phase?: Phase;
  readonly url?: string;
  readonly provider?: ProviderIds;
}

/** The identity recorded in a status, if any. */
export function trackedRepo(status: SyncStatus | null | undefined): RepoIdentity | null {
  if (!status?.repo || !status.scm) return null;
  return { provider: status.scm.provider, apiUrl: status.scm.apiUrl, fullName: status.repo };
}
