import type { DeployConfigRoot } from '@sluice/contracts';

/** The artifactful config most of autodeploy's tests use: billing-api of team payments, images of acme/billing built by `ci`, autodeploy on. */
export const BILLING_ROOT: DeployConfigRoot = {
  name: 'billing-api',
  team: 'payments',
  namespace: 'payments',
  artifact: { repo: 'acme/billing', image: 'ghcr.io/acme/billing', build: 'ci' },
  track: { branch: 'main' },
  autodeploy: true,
  configRepo: 'acme/config',
  path: 'deploy/billing-api',
};
