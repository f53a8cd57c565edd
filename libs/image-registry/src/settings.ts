import { z } from 'zod';
import { commaListSetting } from '@sluice/platform';

/** What a registry's token server (or Basic auth) is given for one host. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$/;
const CREDENTIALS_SHAPE = 'expected JSON {"host[:port]": {"username": "…", "password": "…"}}';

/**
 * `SLUICE_REGISTRY_CREDENTIALS`: `{"ghcr.io": {"username": "bot", "password": "ghp_…"}, "127.0.0.1:55001": {…}}`,
 * keyed by the registry as image references name it (`docker.io` for Docker Hub). Errors never
 * echo the value: JSON.parse's own message quotes the input, so it is replaced.
 */
export const registryCredentialsSetting = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `not JSON; ${CREDENTIALS_SHAPE}` });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(HOST_PORT, { error: `keys must be registry hosts (host[:port]); ${CREDENTIALS_SHAPE}` }),
      z.object({ username: z.string().min(1), password: z.string().min(1) }, { error: CREDENTIALS_SHAPE }).strict(),
    ),
  );

/**
 * The variables of the image registry client, for a service's config schema:
 * `loadServiceConfig({ ...imageRegistrySettings })`.
 */
export const imageRegistrySettings = {
  SLUICE_REGISTRY_CREDENTIALS: registryCredentialsSetting.optional(),
  /** Registries called over plain http besides loopback (`registry.internal:5000,10.0.0.7:5000`). */
  SLUICE_REGISTRY_INSECURE_HOSTS: commaListSetting('expected registry hosts (host[:port]), comma-separated').optional(),
  /** Timeout of one request to a registry or token server, ms (default 10 000). */
  SLUICE_REGISTRY_TIMEOUT_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(100).max(120_000).optional(),
};

export interface ImageRegistrySettings {
  readonly SLUICE_REGISTRY_CREDENTIALS?: Readonly<Record<string, RegistryCredentials>>;
  readonly SLUICE_REGISTRY_INSECURE_HOSTS?: readonly string[];
  readonly SLUICE_REGISTRY_TIMEOUT_MS?: number;
}
