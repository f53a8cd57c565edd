import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, MIN_ADMIN_TOKEN_LENGTH, secretWeakness } from '@sluice/platform';

/**
 * The admin token (ARCHITECTURE §8): `SLUICE_ADMIN_TOKEN`, or — unset — the one kept in
 * `$SLUICE_DATA_DIR/admin-token`, generated (mode 0600) on first start. A token written
 * into that file by hand must be as strong as the variable's (the config schema checks
 * the variable), or the start fails naming the file.
 */
export function resolveAdminToken(config: { SLUICE_ADMIN_TOKEN?: string; SLUICE_DATA_DIR: string }): { token: string; source: 'env' | 'file' | 'generated'; path?: string } {
  if (config.SLUICE_ADMIN_TOKEN) return { token: config.SLUICE_ADMIN_TOKEN, source: 'env' };
  const path = join(config.SLUICE_DATA_DIR, 'admin-token');
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (token) {
      const weakness = secretWeakness(token, MIN_ADMIN_TOKEN_LENGTH);
      if (weakness) throw new ConfigError([{ variable: `SLUICE_ADMIN_TOKEN (from ${path})`, message: weakness }]);
      return { token, source: 'file', path };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(config.SLUICE_DATA_DIR, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  // 'wx': a second process starting at the same moment does not overwrite the first one's token.
  try {
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { token: readFileSync(path, 'utf8').trim(), source: 'file', path };
    throw error;
  }
  return { token, source: 'generated', path };
}
