import { ScmAuthError, ScmRequestError, type GitLabCommitStatus, type ScmClients } from '@sluice/scm';
import type { ProviderIds, StatusFields } from '../../domain/model';
import { differences, gitlabStatusMapping, type GitLabStatusPayload } from '../../domain/mapping';
import type { ObservedStatus } from '../../domain/reconcile';
import type { ScmStatusProvider, StatusTarget } from '../../application/ports';

/** GitLab commit statuses: the latest status per name is what the SCM holds. */
export class GitLabStatusesProvider implements ScmStatusProvider {
  constructor(private readonly clients: ScmClients) {}

  async read(target: StatusTarget, desired: StatusFields, _known: ProviderIds | undefined): Promise<ObservedStatus | null> {
    const statuses = await this.statuses(target).listCommitStatuses(target.repo.identity.fullName, target.sha, desired.name);
    const latest = statuses.filter((s) => s.name === desired.name).sort((a, b) => b.id - a.id)[0];
    return latest ? observe(latest, desired, target) : null;
  }

  async write(target: StatusTarget, desired: StatusFields): Promise<ObservedStatus> {
    const p = gitlabStatusMapping.toPayload(desired, { fullName: target.repo.identity.fullName, sha: target.sha });
    try {
      const written = await this.statuses(target).createCommitStatus(target.repo.identity.fullName, target.sha, {
        state: p.state,
        name: p.name,
        description: p.description,
        ...(p.target_url ? { target_url: p.target_url } : {}),
      });
      return observe(written, desired, target);
    } catch (error) {
      // GitLab keeps a status in one state: a new description in the same state (`running` →
      // `running`: a 400, "Cannot transition status via :run from :running") is refused. When the
      // status GitLab holds is in the state wanted, it is taken as written; the next state change
      // carries the description.
      if (!(error instanceof ScmRequestError && error.status === 400)) throw error;
      const latest = (await this.statuses(target).listCommitStatuses(target.repo.identity.fullName, target.sha, p.name)).filter((s) => s.name === p.name).sort((a, b) => b.id - a.id)[0];
      if (!latest || latest.status !== p.state) throw error;
      return { ...observe(latest, desired, target), matches: true, differences: [] };
    }
  }

  private statuses(target: StatusTarget) {
    const creds = target.repo.credentials;
    if (creds.kind !== 'token') throw new ScmAuthError(401, 'GitLab needs a token');
    return this.clients.gitlabStatuses(target.repo.identity.apiUrl, creds.token);
  }
}

function observe(s: GitLabCommitStatus, desired: StatusFields, target: StatusTarget): ObservedStatus {
  const payload: GitLabStatusPayload = { state: s.status, name: s.name, description: s.description ?? '', target_url: s.target_url };
  const diff = differences(gitlabStatusMapping, desired, { fullName: target.repo.identity.fullName, sha: target.sha }, payload);
  return {
    fields: gitlabStatusMapping.fromPayload(payload),
    matches: diff.length === 0,
    differences: diff,
    ids: { gitlab: { commitStatusId: s.id, ...(s.pipeline_id ? { pipelineId: s.pipeline_id } : {}) } },
  };
}
