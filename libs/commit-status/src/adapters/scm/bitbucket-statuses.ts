import { ScmAuthError, type BitbucketBuildStatus, type ScmClients } from '@sluice/scm';
import type { ProviderIds, StatusFields } from '../../domain/model';
import { bitbucketKey, bitbucketStatusMapping, differences, type BitbucketStatusPayload } from '../../domain/mapping';
import type { ObservedStatus } from '../../domain/reconcile';
import type { ScmStatusProvider, StatusTarget } from '../../application/ports';

/** Bitbucket Cloud build statuses: one per (commit, key); a POST with the same key updates it. */
export class BitbucketStatusesProvider implements ScmStatusProvider {
  constructor(private readonly clients: ScmClients) {}

  async read(target: StatusTarget, desired: StatusFields, _known: ProviderIds | undefined): Promise<ObservedStatus | null> {
    const held = await this.statuses(target).getBuildStatus(target.repo.identity.fullName, target.sha, bitbucketKey(desired.name));
    return held === null ? null : observe(held, desired, target);
  }

  async write(target: StatusTarget, desired: StatusFields): Promise<ObservedStatus> {
    const body = bitbucketStatusMapping.toPayload(desired, { fullName: target.repo.identity.fullName, sha: target.sha });
    return observe(await this.statuses(target).createBuildStatus(target.repo.identity.fullName, target.sha, body), desired, target);
  }

  private statuses(target: StatusTarget) {
    const creds = target.repo.credentials;
    if (creds.kind !== 'token') throw new ScmAuthError(401, 'Bitbucket needs a token');
    return this.clients.bitbucketStatuses(target.repo.identity.apiUrl, creds.token);
  }
}

function observe(s: BitbucketBuildStatus, desired: StatusFields, target: StatusTarget): ObservedStatus {
  const payload: BitbucketStatusPayload = { key: s.key, state: s.state, name: s.name ?? '', description: s.description ?? '', url: s.url };
  const diff = differences(bitbucketStatusMapping, desired, { fullName: target.repo.identity.fullName, sha: target.sha }, payload);
  return {
    fields: bitbucketStatusMapping.fromPayload(payload),
    matches: diff.length === 0,
    differences: diff,
    ids: { bitbucket: { key: s.key, ...(s.uuid ? { uuid: s.uuid } : {}) } },
  };
}
