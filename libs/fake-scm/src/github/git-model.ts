import { createHash } from 'node:crypto';

export interface GitIdentity {
  readonly name: string;
  readonly email: string;
  readonly date: string;
}

export interface GitBlob {
  readonly sha: string;
  readonly content: Buffer;
}

export interface GitTreeEntry {
  readonly name: string;
  readonly mode: '100644' | '040000';
  readonly type: 'blob' | 'tree';
  readonly sha: string;
}

export interface GitTree {
  readonly sha: string;
  readonly entries: readonly GitTreeEntry[];
}

export interface GitCommit {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly author: GitIdentity;
  readonly committer: GitIdentity;
}

export interface FlatEntry {
  readonly path: string;
  readonly mode: string;
  readonly type: 'blob' | 'tree';
  readonly sha: string;
  readonly size?: number;
}

const SHA = /^[0-9a-f]{40}$/;

export function isSha(value: string): boolean {
  return SHA.test(value);
}

function hashObject(type: string, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

/** Git orders tree entries by name, a subtree's name compared as if it ended with `/`. */
function gitOrder(a: GitTreeEntry, b: GitTreeEntry): number {
  const ka = a.type === 'tree' ? `${a.name}/` : a.name;
  const kb = b.type === 'tree' ? `${b.name}/` : b.name;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Content-addressed object store with git's own hashing, so blob, tree and commit SHAs
 * are what `git hash-object` would give for the same content.
 */
export class GitObjects {
  readonly blobs = new Map<string, GitBlob>();
  readonly trees = new Map<string, GitTree>();
  readonly commits = new Map<string, GitCommit>();

  writeBlob(content: string | Buffer): string {
    const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const sha = hashObject('blob', buf);
    this.blobs.set(sha, { sha, content: buf });
    return sha;
  }

  private writeTree(entries: GitTreeEntry[]): string {
    const sorted = [...entries].sort(gitOrder);
    const body = Buffer.concat(
      sorted.map((e) => Buffer.concat([Buffer.from(`${e.mode === '040000' ? '40000' : e.mode} ${e.name}\0`), Buffer.from(e.sha, 'hex')])),
    );
    const sha = hashObject('tree', body);
    this.trees.set(sha, { sha, entries: sorted });
    return sha;
  }

  /** Builds the nested trees for a flat `path → blob sha` map; returns the root tree sha. */
  writeTreeFromFiles(files: ReadonlyMap<string, string>): string {
    const build = (prefix: string): string => {
      const direct = new Map<string, GitTreeEntry>();
      const subdirs = new Set<string>();
      for (const [path, sha] of files) {
        if (!path.startsWith(prefix)) continue;
        const rest = path.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash === -1) direct.set(rest, { name: rest, mode: '100644', type: 'blob', sha });
        else subdirs.add(rest.slice(0, slash));
      }
      for (const dir of subdirs) direct.set(dir, { name: dir, mode: '040000', type: 'tree', sha: build(`${prefix}${dir}/`) });
      return this.writeTree([...direct.values()]);
    };
    return build('');
  }

  /** Flat `path → blob sha` map of a tree. */
  readFiles(treeSha: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of this.walk(treeSha, true)) if (e.type === 'blob') out.set(e.path, e.sha);
    return out;
  }

  /** Entries of a tree, depth-first pre-order when recursive (as GitHub lists them). */
  walk(treeSha: string, recursive: boolean, prefix = ''): FlatEntry[] {
    const tree = this.trees.get(treeSha);
    if (!tree) return [];
    const out: FlatEntry[] = [];
    for (const e of tree.entries) {
      const path = `${prefix}${e.name}`;
      out.push({ path, mode: e.mode, type: e.type, sha: e.sha, size: e.type === 'blob' ? this.blobs.get(e.sha)?.content.length : undefined });
      if (recursive && e.type === 'tree') out.push(...this.walk(e.sha, true, `${path}/`));
    }
    return out;
  }

  /** Finds the entry at `path` inside a tree ('' = the tree itself). */
  lookup(treeSha: string, path: string): { type: 'blob' | 'tree'; sha: string } | undefined {
    const parts = path.split('/').filter((p) => p.length > 0);
    let cur: { type: 'blob' | 'tree'; sha: string } = { type: 'tree', sha: treeSha };
    for (const part of parts) {
      if (cur.type !== 'tree') return undefined;
      const entry = this.trees.get(cur.sha)?.entries.find((e) => e.name === part);
      if (!entry) return undefined;
      cur = { type: entry.type, sha: entry.sha };
    }
    return cur;
  }

  writeCommit(input: Omit<GitCommit, 'sha'> & { sha?: string }): GitCommit {
    const stamp = (who: GitIdentity): string => `${who.name} <${who.email}> ${Math.floor(Date.parse(who.date) / 1000)} +0000`;
    const text = [
      `tree ${input.tree}`,
      ...input.parents.map((p) => `parent ${p}`),
      `author ${stamp(input.author)}`,
      `committer ${stamp(input.committer)}`,
      '',
      input.message,
    ].join('\n');
    const sha = input.sha ?? hashObject('commit', Buffer.from(text, 'utf8'));
    if (!isSha(sha)) throw new Error(`commit sha must be 40 lowercase hex characters, got ${sha}`);
    const commit: GitCommit = { sha, tree: input.tree, parents: [...input.parents], message: input.message, author: input.author, committer: input.committer };
    this.commits.set(sha, commit);
    return commit;
  }
}
