/**
 * The `/deploy` slash command (issue #18): `/deploy <config> <branch | #PR | sha> [--config-sha <sha>]`,
 * `/deploy status <config>`, `/deploy history <config>`. Parsing is pure and total: every input is a
 * command or a precise error to answer ephemerally.
 */
export type DeployCommand =
  | { readonly kind: 'deploy'; readonly config: string; readonly target: DeployTarget; readonly configSha: string | null }
  | { readonly kind: 'status'; readonly config: string }
  | { readonly kind: 'history'; readonly config: string };

export type DeployTarget =
  | { readonly kind: 'branch'; readonly branch: string }
  | { readonly kind: 'pull-request'; readonly number: number }
  | { readonly kind: 'sha'; readonly sha: string };

export type Parsed = { readonly ok: true; readonly command: DeployCommand } | { readonly ok: false; readonly error: string };

export const DEPLOY_USAGE = 'usage: /deploy <config> <branch | #PR | sha> [--config-sha <sha>] · /deploy status <config> · /deploy history <config>';

const CONFIG_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const FULL_SHA = /^[0-9a-f]{40}$/;
const SHORT_SHA = /^[0-9a-f]{7,39}$/;
/** What git accepts as a branch name, roughly (no spaces, no `..`, no control characters, no leading `-`). */
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[^\s~^:?*[\\\x00-\x1f\x7f]{1,255}(?<![/.])$/;

export function parseDeployCommand(text: string): Parsed {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const fail = (error: string): Parsed => ({ ok: false, error: `${error}\n${DEPLOY_USAGE}` });
  if (words.length === 0) return fail('say which config to deploy');
  const [first, ...rest] = words as [string, ...string[]];
  if (first === 'status' || first === 'history') {
    if (rest.length !== 1) return fail(`/deploy ${first} takes one config name`);
    const config = rest[0]!;
    if (!CONFIG_NAME.test(config)) return fail(`"${config}" is not a config name (lowercase letters, digits and -)`);
    return { ok: true, command: { kind: first, config } };
  }
  if (!CONFIG_NAME.test(first) || first.length > 63) return fail(`"${first}" is not a config name (lowercase letters, digits and -)`);
  let configSha: string | null = null;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (word === '--config-sha') {
      const value = rest[++i];
      if (value === undefined) return fail('--config-sha needs a commit SHA');
      if (!FULL_SHA.test(value)) return fail(`--config-sha "${value}" is not a 40-character commit SHA`);
      configSha = value;
    } else if (word.startsWith('--')) {
      return fail(`unknown option ${word}`);
    } else {
      positional.push(word);
    }
  }
  if (positional.length === 0) return fail(`say what to deploy to ${first}: a branch, #<PR number> or a commit SHA`);
  if (positional.length > 1) return fail(`one thing to deploy, got ${positional.length}: ${positional.join(' ')}`);
  const what = positional[0]!;
  const pr = /^#(\d{1,9})$/.exec(what);
  if (pr) return { ok: true, command: { kind: 'deploy', config: first, target: { kind: 'pull-request', number: Number(pr[1]) }, configSha } };
  if (what.startsWith('#')) return fail(`"${what}" is not a pull request number (#123)`);
  if (FULL_SHA.test(what) || SHORT_SHA.test(what)) return { ok: true, command: { kind: 'deploy', config: first, target: { kind: 'sha', sha: what }, configSha } };
  if (!BRANCH.test(what)) return fail(`"${what}" is not a branch name`);
  return { ok: true, command: { kind: 'deploy', config: first, target: { kind: 'branch', branch: what }, configSha } };
}
