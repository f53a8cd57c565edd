import type { EventData } from '@sluice/contracts';

/** The data of an autodeploy `deploy.requested` of config billing-api (team payments, artifact acme/billing), for tests. */
export function deployRequestedData(over: Partial<EventData<'deploy.requested'>> = {}): EventData<'deploy.requested'> {
  return {
    deployId: '0190a0a0-0000-7000-8000-000000000001',
    config: 'billing-api',
    team: 'payments',
    namespace: 'payments',
    configRepo: 'acme/deploy',
    path: 'deploy/billing-api',
    artifactRepo: 'acme/billing',
    artifactImage: 'ghcr.io/acme/billing',
    artifactSha: 'a'.repeat(40),
    configSha: 'c'.repeat(40),
    imageTag: 'main-aaaaaaa',
    cause: 'autodeploy',
    requestedBy: 'autodeploy',
    reason: 'build',
    reappliedFrom: null,
    ...over,
  };
}

/** The data of an autodeploy `preview.deployed` of billing-api for PR 7 of acme/billing (slot 1), for tests. */
export function previewDeployedData(over: Partial<EventData<'preview.deployed'>> = {}): EventData<'preview.deployed'> {
  const headSha = over.headSha ?? 'b'.repeat(40);
  return {
    previewId: '0190a0a0-0000-7000-8000-0000000000a1',
    config: 'billing-api',
    team: 'payments',
    repo: 'acme/billing',
    pr: 7,
    headSha,
    namespace: 'payments-preview',
    name: 'billing-api-pr-7',
    slot: 1,
    headRef: 'feature/x',
    configRepo: 'acme/deploy',
    path: 'deploy/billing-api',
    configSha: 'c'.repeat(40),
    artifactImage: 'ghcr.io/acme/billing',
    imageTag: `feature-x-${headSha.slice(0, 7)}`,
    url: 'https://billing-api-pr-7.preview.example',
    expiresAt: '2026-12-06T10:00:00.000Z',
    requestedBy: 'autodeploy',
    ...over,
  };
}

/** The preview reference fields of a `preview.deployed` (what `preview.applied` and `preview.released` carry). */
export function previewRefOf(d: EventData<'preview.deployed'>): Pick<EventData<'preview.applied'>, 'previewId' | 'config' | 'team' | 'repo' | 'pr' | 'headSha' | 'namespace' | 'name' | 'slot'> {
  return { previewId: d.previewId, config: d.config, team: d.team, repo: d.repo, pr: d.pr, headSha: d.headSha, namespace: d.namespace, name: d.name, slot: d.slot };
}
