import type { ProviderIds, StatusFields } from '../../domain/model';
import { bitbucketKey, bitbucketStatusMapping, differences, type BitbucketStatusPayload } from '../../domain/mapping';
import type { ObservedStatus } from '../../domain/reconcile';
import type { ScmStatusProvider, StatusTarget } from '../../application/ports';
import { ScmError } from '../../application/scm-errors';
import { credentialKey, type ScmHttp } from './scm-http';

interface BitbucketStatus extends BitbucketStatusPayload {
  readonly uuid?: string;
}

/** Bitbucket Cloud build statuses: one per (commit, key); a POST with the same key updates it. */
export class BitbucketStatusesProvider implements ScmStatusProvider {
  constructor(private readonly http: ScmHttp) {}

  async read(target: StatusTarget, desired: StatusFields, _known: ProviderIds | undefined): Promise<ObservedStatus | null> {
    const { headers, credential } = auth(target);
    const res = await this.http.request<BitbucketStatus>({
      method: 'GET',
      url: `${commitUrl(target)}/statuses/build/${encodeURIComponent(bitbucketKey(desired.name))}`,
      credential,
      headers,
      accept: [404],
    });
    return res.status === 404 ? null : observe(res.body, desired, target);
  }

  async write(target: StatusTarget, desired: StatusFields): Promise<ObservedStatus> {
    const { headers, credential } = auth(target);
    const body = bitbucketStatusMapping.toPayload(desired, { fullName: target.repo.identity.fullName, sha: target.sha });
    const res = await this.http.request<BitbucketStatus>({ method: 'POST', url: `${commitUrl(target)}/statuses/build`, credential, headers, body, write: true });
    return observe(res.body, desired, target);
  }
}

function commitUrl(target: StatusTarget): string {
  return `${target.repo.identity.apiUrl}/repositories/${target.repo.identity.fullName}/commit/${target.sha}`;
}

function auth(target: StatusTarget) {
  const creds = target.repo.credentials;
  if (creds.kind !== 'token') throw new ScmError('Bitbucket needs a token', 401, false);
  return { headers: { Authorization: `Bearer ${creds.token}` }, credential: credentialKey('bitbucket', creds.token) };
}

function observe(s: BitbucketStatus, desired: StatusFields, target: StatusTarget): ObservedStatus {
  const payload: BitbucketStatusPayload = { key: s.key, state: s.state, name: s.name, description: s.description ?? '', url: s.url };
  const diff = differences(bitbucketStatusMapping, desired, { fullName: target.repo.identity.fullName, sha: target.sha }, payload);
  return {
    fields: bitbucketStatusMapping.fromPayload(payload),
    matches: diff.length === 0,
    differences: diff,
    ids: { bitbucket: { key: s.key, ...(s.uuid ? { uuid: s.uuid } : {}) } },
  };
}
