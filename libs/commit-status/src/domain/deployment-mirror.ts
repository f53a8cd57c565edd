import type { Phase } from './model';

/** GitHub deployment status states Sluice writes (`POST /repos/{o}/{r}/deployments/{id}/statuses`). */
export type DeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'inactive';

/**
 * A Sluice deploy as a GitHub deployment (one per deploy, environment = the config name):
 * canceled (superseded) becomes `inactive` — the deployment never ran and is not the
 * environment's current one.
 */
export function deploymentStateOf(phase: Phase): DeploymentState {
  switch (phase) {
    case 'queued':
      return 'queued';
    case 'in_progress':
      return 'in_progress';
    case 'success':
      return 'success';
    case 'failure':
      return 'failure';
    case 'canceled':
      return 'inactive';
  }
}
