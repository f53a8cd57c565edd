import { MIN_ADMIN_TOKEN_LENGTH, secretInDataDir } from '@sluice/platform';

/**
 * The admin token (docs/architecture.md §9): `SLUICE_ADMIN_TOKEN`, or — unset — the one kept in
 * `$SLUICE_DATA_DIR/admin-token`, generated (mode 0600) on first start. A token written
 * into that file by hand must be as strong as the variable's (the config schema checks
 * the variable), or the start fails naming the file.
 */
export function resolveAdminToken(config: { SLUICE_ADMIN_TOKEN?: string; SLUICE_DATA_DIR: string }): { token: string; source: 'env' | 'file' | 'generated'; path?: string } {
  if (config.SLUICE_ADMIN_TOKEN) return { token: config.SLUICE_ADMIN_TOKEN, source: 'env' };
  const { value, source, path } = secretInDataDir({ dataDir: config.SLUICE_DATA_DIR, file: 'admin-token', variable: 'SLUICE_ADMIN_TOKEN', minLength: MIN_ADMIN_TOKEN_LENGTH });
  return { token: value, source, path };
}
