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
