import { GitObjects, type GitCommit, type GitIdentity } from '../github/git-model';

/** The git side of a fake GitLab project or Bitbucket repository: its commits, trees and branches. */
export class BranchedGitRepo {
  readonly git = new GitObjects();
  readonly branches = new Map<string, string>();

  /** A commit on `branch` whose files are the branch head's with `files` applied (null deletes one); returns its sha. */
  commit(input: { branch: string; files: Readonly<Record<string, string | null>>; message?: string; author?: GitIdentity; at: string }): string {
    const parent = this.branches.get(input.branch);
    const files = parent ? this.git.readFiles(this.git.commits.get(parent)!.tree) : new Map<string, string>();
    for (const [path, content] of Object.entries(input.files)) {
      if (content === null) files.delete(path);
      else files.set(path, this.git.writeBlob(content));
    }
    const who = input.author ?? { name: 'Sluice Tester', email: 'tester@example.com', date: input.at };
    const commit = this.git.writeCommit({ tree: this.git.writeTreeFromFiles(files), parents: parent ? [parent] : [], message: input.message ?? 'commit', author: who, committer: who });
    this.branches.set(input.branch, commit.sha);
    return commit.sha;
  }

  /** A branch name, a full sha or an abbreviated one (7+) → the commit. */
  resolve(ref: string): GitCommit | undefined {
    const sha = this.branches.get(ref) ?? ref;
    return this.git.commits.get(sha) ?? (sha.length >= 7 ? [...this.git.commits.values()].find((c) => c.sha.startsWith(sha)) : undefined);
  }

  /** Commits reachable from `sha`, itself first. */
  ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const cur = stack.pop()!;
      if (seen.has(cur)) continue;
      seen.add(cur);
      stack.push(...(this.git.commits.get(cur)?.parents ?? []));
    }
    return seen;
  }
}

