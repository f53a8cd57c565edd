import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { SERVICE_NAMES, type ServiceName } from '@sluice/contracts';
import { z } from 'zod';
import { UsageError } from './errors';

/** Where the CLI talks to and as whom. */
export interface Settings {
  /** The all-in-one app, or a gateway in front of the services. */
  readonly url: string;
  readonly token: string | null;
  /** For a person in several teams (signed in with OpenID Connect): the team to act for. */
  readonly team: string | null;
  /** Per-service base URLs of a distributed deployment without a gateway. */
  readonly serviceUrls: Partial<Record<ServiceName, string>>;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));
const savedSettings = z.object({
  url: httpUrl.optional(),
  token: z.string().min(1).optional(),
  team: z.string().min(1).optional(),
  serviceUrls: z.partialRecord(z.enum(SERVICE_NAMES), httpUrl).optional(),
});
export type SavedSettings = z.infer<typeof savedSettings>;

/** `$SLUICE_CONFIG`, else `$XDG_CONFIG_HOME/sluice/config.json`, else `~/.config/sluice/config.json`. */
export function settingsFile(env: NodeJS.ProcessEnv): string {
  return env['SLUICE_CONFIG'] ?? join(env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'sluice', 'config.json');
}

export function readSavedSettings(file: string): SavedSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON; fix it or run \`sluice login\` again`);
  }
  const result = savedSettings.safeParse(parsed);
  if (!result.success) throw new UsageError(`${file}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return result.data;
}

/** Written readable by its owner only: it holds a token. */
export function saveSettings(file: string, settings: SavedSettings): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** `service=url,service=url` as in SLUICE_SERVICE_URLS. */
function parseServiceUrls(value: string): Partial<Record<ServiceName, string>> {
  const out: Partial<Record<ServiceName, string>> = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, url] = part.split(/=(.*)/s);
    if (!SERVICE_NAMES.includes(name as ServiceName)) throw new UsageError(`SLUICE_SERVICE_URLS: unknown service "${name}" (expected one of ${SERVICE_NAMES.join(', ')})`);
    const parsed = httpUrl.safeParse(url);
    if (!parsed.success) throw new UsageError(`SLUICE_SERVICE_URLS: ${name}: expected an http(s) URL`);
    out[name as ServiceName] = parsed.data;
  }
  return out;
}

/** Flags win over the environment, which wins over the saved file. */
export function resolveSettings(flags: { url?: string; token?: string; team?: string }, env: NodeJS.ProcessEnv): Settings {
  const saved = readSavedSettings(settingsFile(env));
  const rawUrl = flags.url ?? env['SLUICE_URL'] ?? saved.url ?? DEFAULT_URL;
  const url = httpUrl.safeParse(rawUrl);
  if (!url.success) throw new UsageError(`--url / SLUICE_URL: expected an http(s) URL, got "${rawUrl}"`);
  return {
    url: url.data,
    token: flags.token ?? env['SLUICE_TOKEN'] ?? saved.token ?? null,
    team: flags.team ?? env['SLUICE_TEAM'] ?? saved.team ?? null,
    serviceUrls: env['SLUICE_SERVICE_URLS'] ? parseServiceUrls(env['SLUICE_SERVICE_URLS']) : (saved.serviceUrls ?? {}),
  };
}
