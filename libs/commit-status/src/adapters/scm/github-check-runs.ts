import type { GitHubCheckRun, GitHubCheckRunInput, ScmClients } from '@sluice/scm';
import type { ProviderIds, StatusFields } from '../../domain/model';
import { differences, githubCheckRunMapping, type CheckRunPayload } from '../../domain/mapping';
import type { ObservedStatus } from '../../domain/reconcile';
import type { ScmStatusProvider, StatusTarget } from '../../application/ports';
import { githubWritesFor } from './github-target';

/** GitHub check runs (authenticated as a GitHub App): one check run per (commit, name), updated in place by id. */
export class GitHubCheckRunsProvider implements ScmStatusProvider {
  constructor(private readonly clients: ScmClients) {}

  async read(target: StatusTarget, desired: StatusFields, known: ProviderIds | undefined): Promise<ObservedStatus | null> {
    const { writes, ref } = githubWritesFor(this.clients, target.repo);
    // The latest run of the name is what GitHub shows, whoever created it: a newer run by
    // someone else is drift, not "ours is still fine".
    const runs = await writes.listCheckRuns(ref, target.sha, desired.name);
    let run = runs.filter((r) => r.name === desired.name).sort((a, b) => b.id - a.id)[0];
    const id = known?.github?.checkRunId;
    if (!run && id !== undefined) {
      // Listing is eventually consistent right after a create: ask for ours by id.
      const one = await writes.getCheckRun(ref, id);
      if (one && one.head_sha === target.sha && one.name === desired.name) run = one;
    }
    return run ? observe(run, desired, target) : null;
  }

  async write(target: StatusTarget, desired: StatusFields, existing: ObservedStatus | null, known: ProviderIds | undefined): Promise<ObservedStatus> {
    const { writes, ref } = githubWritesFor(this.clients, target.repo);
    const payload = githubCheckRunMapping.toPayload(desired, { fullName: target.repo.identity.fullName, sha: target.sha });
    const input = requestBody(payload);
    // Update our own run in place; a run created by someone else (another app) is not ours to change.
    const ours = known?.github?.checkRunId;
    const id = existing === null || existing.ids.github?.checkRunId === ours ? ours : undefined;
    // A completed run is not reopened: a new run (GitHub shows the latest per name) is what a re-run does too.
    const reopen = existing !== null && existing.fields.phase !== 'queued' && existing.fields.phase !== 'in_progress' && payload.status !== 'completed';
    const run = id !== undefined && !reopen ? await writes.updateCheckRun(ref, id, input) : await writes.createCheckRun(ref, target.sha, input);
    return observe(run, desired, target);
  }
}

function requestBody(p: CheckRunPayload): GitHubCheckRunInput {
  return {
    name: p.name,
    status: p.status,
    ...(p.conclusion ? { conclusion: p.conclusion, completed_at: new Date().toISOString() } : {}),
    ...(p.details_url ? { details_url: p.details_url } : {}),
    output: p.output,
  };
}

function observe(run: GitHubCheckRun, desired: StatusFields, target: StatusTarget): ObservedStatus {
  const t = { fullName: target.repo.identity.fullName, sha: target.sha };
  const diff = differences(githubCheckRunMapping, desired, t, run);
  return { fields: githubCheckRunMapping.fromPayload(run), matches: diff.length === 0, differences: diff, ids: { github: { checkRunId: run.id } } };
}
