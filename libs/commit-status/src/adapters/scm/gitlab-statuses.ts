import type { ProviderIds, StatusFields } from '../../domain/model';
import { differences, gitlabStatusMapping, type GitLabStatusPayload } from '../../domain/mapping';
import type { ObservedStatus } from '../../domain/reconcile';
import type { ScmStatusProvider, StatusTarget } from '../../application/ports';
import { ScmError } from '../../application/scm-errors';
import { credentialKey, type ScmHttp } from './scm-http';

interface GitLabStatus {
  readonly id: number;
  readonly status: string;
  readonly name: string;
  readonly description: string | null;
  readonly target_url: string | null;
  readonly pipeline_id?: number;
}

/** GitLab commit statuses: `POST /projects/:id/statuses/:sha`; the latest status per name is what the SCM holds. */
export class GitLabStatusesProvider implements ScmStatusProvider {
  constructor(private readonly http: ScmHttp) {}

  async read(target: StatusTarget, desired: StatusFields, _known: ProviderIds | undefined): Promise<ObservedStatus | null> {
    const { headers, credential } = auth(target);
    const q = new URLSearchParams({ name: desired.name, per_page: '100' });
    const res = await this.http.request<GitLabStatus[]>({
      method: 'GET',
      url: `${projectUrl(target)}/repository/commits/${target.sha}/statuses?${q}`,
      credential,
      headers,
    });
    const latest = res.body.filter((s) => s.name === desired.name).sort((a, b) => b.id - a.id)[0];
    return latest ? observe(latest, desired, target) : null;
  }

  async write(target: StatusTarget, desired: StatusFields): Promise<ObservedStatus> {
    const { headers, credential } = auth(target);
    const p = gitlabStatusMapping.toPayload(desired, { fullName: target.repo.identity.fullName, sha: target.sha });
    const body = { state: p.state, name: p.name, context: p.name, description: p.description, ...(p.target_url ? { target_url: p.target_url } : {}) };
    const res = await this.http.request<GitLabStatus>({ method: 'POST', url: `${projectUrl(target)}/statuses/${target.sha}`, credential, headers, body, write: true });
    return observe(res.body, desired, target);
  }
}

function projectUrl(target: StatusTarget): string {
  return `${target.repo.identity.apiUrl}/projects/${encodeURIComponent(target.repo.identity.fullName)}`;
}

function auth(target: StatusTarget) {
  const creds = target.repo.credentials;
  if (creds.kind !== 'token') throw new ScmError('GitLab needs a token', 401, false);
  return { headers: { Authorization: `Bearer ${creds.token}` }, credential: credentialKey('gitlab', creds.token) };
}

function observe(s: GitLabStatus, desired: StatusFields, target: StatusTarget): ObservedStatus {
  const payload: GitLabStatusPayload = { state: s.status, name: s.name, description: s.description ?? '', target_url: s.target_url };
  const diff = differences(gitlabStatusMapping, desired, { fullName: target.repo.identity.fullName, sha: target.sha }, payload);
  return {
    fields: gitlabStatusMapping.fromPayload(payload),
    matches: diff.length === 0,
    differences: diff,
    ids: { gitlab: { commitStatusId: s.id, ...(s.pipeline_id ? { pipelineId: s.pipeline_id } : {}) } },
  };
}
