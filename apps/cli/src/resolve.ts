import { CommandFailed, UsageError } from './errors';
import { ok, type SluiceClient } from './client';

const FULL_SHA = /^[0-9a-f]{40}$/;

function splitRepo(repo: string): { owner: string; name: string } {
  const [owner, name] = repo.split('/');
  return { owner: owner!, name: name! };
}

/** A full commit SHA as given, or the head of a branch of `repo` in Sluice's catalogue. */
export async function commitOf(client: SluiceClient, repo: string, ref: string, flag: string): Promise<string> {
  if (FULL_SHA.test(ref)) return ref;
  if (/^[0-9a-f]{7,39}$/.test(ref)) throw new UsageError(`${flag}: give the full 40-character SHA or a branch name, not "${ref}"`);
  const { items } = await ok(client.GET('/api/repos/{owner}/{name}/branches', { params: { path: splitRepo(repo) } }));
  const branch = items.find((b) => b.name === ref);
  if (!branch) {
    const known = items.map((b) => b.name).slice(0, 10).join(', ');
    throw new CommandFailed(`${flag}: ${repo} has no branch "${ref}" in Sluice's catalogue${known ? ` (branches: ${known})` : ''}`);
  }
  return branch.headSha;
}

/** The head of the repository's default branch. */
export async function defaultHeadOf(client: SluiceClient, repo: string, flag: string): Promise<string> {
  const info = await ok(client.GET('/api/repos/{owner}/{name}', { params: { path: splitRepo(repo) } }));
  if (!info.defaultBranch) throw new CommandFailed(`${flag}: ${repo} has no known default branch; give ${flag} <sha|branch>`);
  return commitOf(client, repo, info.defaultBranch, flag);
}
