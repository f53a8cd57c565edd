// What the scripts share: example files as a commit's files, sending a signed request, running main.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file under `dir`, keyed by its path relative to `dir`. */
export function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** POSTs a signed request and prints the answer's status and body; the exit code is 1 unless it is 2xx. */
export async function postAndPrint(url: string, request: { headers: Record<string, string>; body: string }): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  process.stdout.write(`${response.status} ${await response.text()}\n`);
  if (!response.ok) process.exitCode = 1;
}

/** Runs a script's `main`, printing the error (its stack with `stack`) and exiting 1 when it fails. */
export function runScript(main: () => Promise<void>, options: { stack?: boolean } = {}): void {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? (options.stack ? error.stack : error.message) : String(error)}\n`);
    process.exit(1);
  });
}
