import { applyObject, KubeError, toKubeError, type KubeClient } from '@sluice/kube';
import { FIELD_MANAGER, type DeployConfigObject } from '../domain/deploy-config';
import { DeployTargetError, type DeployTarget } from '../application/ports';

/**
 * Writes the desired DeployConfig by server-side apply (field manager `sluice`, forcing: the
 * request is the source of truth for spec). Transient failures were retried by applyObject
 * and are rethrown (the message is redelivered); refusals (422 schema/CEL, 403, 404 missing
 * namespace) are terminal.
 */
export class KubeDeployTarget implements DeployTarget {
  readonly dryRun = false;

  constructor(private readonly client: KubeClient) {}

  async write(desired: DeployConfigObject): Promise<void> {
    try {
      await applyObject(this.client, desired, { fieldManager: FIELD_MANAGER, force: true });
    } catch (raw) {
      const err = toKubeError(raw);
      if (err instanceof KubeError && !err.retryable) {
        throw new DeployTargetError(targetReason(err), `DeployConfig ${desired.metadata.namespace}/${desired.metadata.name}: ${err.message}`);
      }
      throw err;
    }
  }
}

export function targetReason(err: KubeError): string {
  switch (err.status) {
    case 403:
      return 'Forbidden';
    case 404:
      return 'NamespaceNotFound';
    case 409:
      return 'FieldConflict';
    case 400:
    case 422:
      return 'Invalid';
    default:
      return err.reason.replace(/[^A-Za-z0-9_]/g, '') || 'ApplyFailed';
  }
}

/** No cluster: the request's record in the database is the deploy. */
export class DryRunTarget implements DeployTarget {
  readonly dryRun = true;
  async write(): Promise<void> {}
}
