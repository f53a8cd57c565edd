import { CommandFailed, UsageError } from './errors';
import { ok, type SluiceClient } from './client';

const FULL_SHA = /^[0-9a-f]{40}$/;

/** `owner/name` as two path segments; a GitLab subgroup path (`group/sub/name`) as one, URL-encoded by the client (`group%2Fsub%2Fname`). */
function repoRoute(repo: string): { owner: string; name: string } | { path: string } {
  const parts = repo.split('/');
  return parts.length === 2 ? { owner: parts[0]!, name: parts[1]! } : { path: repo };
}

async function branchesOf(client: SluiceClient, repo: string) {
  const r = repoRoute(repo);
  return 'path' in r
    ? ok(client.GET('/api/repos/{path}/branches', { params: { path: r } }))
    : ok(client.GET('/api/repos/{owner}/{name}/branches', { params: { path: r } }));
}

/** A full commit SHA as given, or the head of a branch of `repo` in Sluice's catalogue. */
export async function commitOf(client: SluiceClient, repo: string, ref: string, flag: string): Promise<string> {
  if (FULL_SHA.test(ref)) return ref;
  if (/^[0-9a-f]{7,39}$/.test(ref)) throw new UsageError(`${flag}: give the full 40-character SHA or a branch name, not "${ref}"`);
  const { items } = await branchesOf(client, repo);
  const branch = items.find((b) => b.name === ref);
  if (!branch) {
    const known = items.map((b) => b.name).slice(0, 10).join(', ');
    throw new CommandFailed(`${flag}: ${repo} has no branch "${ref}" in Sluice's catalogue${known ? ` (branches: ${known})` : ''}`);
  }
  return branch.headSha;
}

/** The head of the repository's default branch. */
export async function defaultHeadOf(client: SluiceClient, repo: string, flag: string): Promise<string> {
  const r = repoRoute(repo);
  const info = 'path' in r ? await ok(client.GET('/api/repos/{path}', { params: { path: r } })) : await ok(client.GET('/api/repos/{owner}/{name}', { params: { path: r } }));
  if (!info.defaultBranch) throw new CommandFailed(`${flag}: ${repo} has no known default branch; give ${flag} <sha|branch>`);
  return commitOf(client, repo, info.defaultBranch, flag);
}
