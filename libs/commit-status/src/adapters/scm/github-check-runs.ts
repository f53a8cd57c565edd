import type { ProviderIds, StatusFields } from '../../domain/model';
import { differences, githubCheckRunMapping, type CheckRunPayload, type ObservedCheckRun } from '../../domain/mapping';
import type { ObservedStatus } from '../../domain/reconcile';
import type { ScmStatusProvider, StatusTarget } from '../../application/ports';
import type { GitHubAuthProvider } from './github-auth';
import type { ScmHttp } from './scm-http';

interface CheckRun extends ObservedCheckRun {
  readonly id: number;
  readonly head_sha: string;
}

const GITHUB_HEADERS = { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' };

/** GitHub check runs (authenticated as a GitHub App): one check run per (commit, name), updated in place by id. */
export class GitHubCheckRunsProvider implements ScmStatusProvider {
  constructor(
    private readonly http: ScmHttp,
    private readonly auth: GitHubAuthProvider,
  ) {}

  async read(target: StatusTarget, desired: StatusFields, known: ProviderIds | undefined): Promise<ObservedStatus | null> {
    const { header, credential } = await this.auth.authFor(target.repo);
    const base = `${target.repo.identity.apiUrl}/repos/${target.repo.identity.fullName}`;
    const headers = { ...GITHUB_HEADERS, Authorization: header };
    // The latest run of the name is what GitHub shows, whoever created it: a newer run by
    // someone else is drift, not "ours is still fine".
    const q = new URLSearchParams({ check_name: desired.name, filter: 'latest', per_page: '100' });
    const res = await this.http.request<{ check_runs: CheckRun[] }>({ method: 'GET', url: `${base}/commits/${target.sha}/check-runs?${q}`, credential, headers });
    let run = res.body.check_runs.filter((r) => r.name === desired.name).sort((a, b) => b.id - a.id)[0];
    const id = known?.github?.checkRunId;
    if (!run && id !== undefined) {
      // Listing is eventually consistent right after a create: ask for ours by id.
      const one = await this.http.request<CheckRun>({ method: 'GET', url: `${base}/check-runs/${id}`, credential, headers, accept: [404] });
      if (one.status === 200 && one.body.head_sha === target.sha && one.body.name === desired.name) run = one.body;
    }
    return run ? observe(run, desired, target) : null;
  }

  async write(target: StatusTarget, desired: StatusFields, existing: ObservedStatus | null, known: ProviderIds | undefined): Promise<ObservedStatus> {
    const { header, credential } = await this.auth.authFor(target.repo);
    const base = `${target.repo.identity.apiUrl}/repos/${target.repo.identity.fullName}`;
    const headers = { ...GITHUB_HEADERS, Authorization: header };
    const payload = githubCheckRunMapping.toPayload(desired, { fullName: target.repo.identity.fullName, sha: target.sha });
    const body = requestBody(payload);
    // Update our own run in place; a run created by someone else (another app) is not ours to change.
    const ours = known?.github?.checkRunId;
    const id = existing === null || existing.ids.github?.checkRunId === ours ? ours : undefined;
    // A completed run is not reopened: a new run (GitHub shows the latest per name) is what a re-run does too.
    const reopen = existing !== null && existing.fields.phase !== 'queued' && existing.fields.phase !== 'in_progress' && payload.status !== 'completed';
    const res =
      id !== undefined && !reopen
        ? await this.http.request<CheckRun>({ method: 'PATCH', url: `${base}/check-runs/${id}`, credential, headers, body, write: true })
        : await this.http.request<CheckRun>({ method: 'POST', url: `${base}/check-runs`, credential, headers, body: { ...body, head_sha: target.sha }, write: true });
    return observe(res.body, desired, target);
  }
}

function requestBody(p: CheckRunPayload): Record<string, unknown> {
  return {
    name: p.name,
    status: p.status,
    ...(p.conclusion ? { conclusion: p.conclusion, completed_at: new Date().toISOString() } : {}),
    ...(p.details_url ? { details_url: p.details_url } : {}),
    output: p.output,
  };
}

function observe(run: CheckRun, desired: StatusFields, target: StatusTarget): ObservedStatus {
  const t = { fullName: target.repo.identity.fullName, sha: target.sha };
  const diff = differences(githubCheckRunMapping, desired, t, run);
  return { fields: githubCheckRunMapping.fromPayload(run), matches: diff.length === 0, differences: diff, ids: { github: { checkRunId: run.id } } };
}
