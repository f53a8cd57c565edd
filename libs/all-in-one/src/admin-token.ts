import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface AdminToken {
  readonly token: string;
  /** Where a generated token is kept; null when it came from SLUICE_ADMIN_TOKEN. */
  readonly file: string | null;
  readonly created: boolean;
}

/** SLUICE_ADMIN_TOKEN, else the token in `<dataDir>/admin-token`, created (mode 600) on first start. */
export function resolveAdminToken(configured: string | undefined, dataDir: string): AdminToken {
  if (configured) return { token: configured, file: null, created: false };
  const file = resolve(join(dataDir, 'admin-token'));
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), file, created: false };
  mkdirSync(dataDir, { recursive: true });
  const token = `sluice_admin_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file, created: true };
}
