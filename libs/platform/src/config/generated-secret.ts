import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, secretWeakness } from './config';

export interface GeneratedSecret {
  readonly value: string;
  /** `file`: read from an earlier start; `generated`: written by this start. */
  readonly source: 'file' | 'generated';
  readonly path: string;
}

/**
 * A secret the operator did not set, kept in `<dataDir>/<file>`: read when present, else
 * generated (32 random bytes, base64url) and written with mode 0600 before anything
 * serves. A value written into the file by hand must be as strong as the variable's
 * (`minLength`, not one character repeated), or the start fails naming `variable` and the file.
 */
export function secretInDataDir(options: { dataDir: string; file: string; variable: string; minLength: number }): GeneratedSecret {
  const path = join(options.dataDir, options.file);
  try {
    const value = readFileSync(path, 'utf8').trim();
    if (value) {
      const weakness = secretWeakness(value, options.minLength);
      if (weakness) throw new ConfigError([{ variable: `${options.variable} (from ${path})`, message: weakness }]);
      return { value, source: 'file', path };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const value = randomBytes(32).toString('base64url');
  // 'wx': a second process starting at the same moment does not overwrite the first one's secret.
  try {
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { value: readFileSync(path, 'utf8').trim(), source: 'file', path };
    throw error;
  }
  return { value, source: 'generated', path };
}
