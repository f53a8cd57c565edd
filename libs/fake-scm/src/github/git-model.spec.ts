import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { GitObjects } from './git-model';

const files: Record<string, string> = {
  'deploy/billing-api/deploy.yaml': 'team: payments\n',
  'deploy/billing-api/app.yaml': 'kind: Deployment\n',
  'deploy/billing-api.md': 'a file sorting between the folder and its siblings\n',
  'deploy-notes.txt': 'x\n',
  'README.md': '# hi\n',
};

describe('GitObjects hashes like git', () => {
  it('blob and tree SHAs equal what git computes for the same files', () => {
    const git = new GitObjects();
    const map = new Map(Object.entries(files).map(([p, c]) => [p, git.writeBlob(c)]));
    const tree = git.writeTreeFromFiles(map);

    const dir = mkdtempSync(join(tmpdir(), 'fake-scm-git-'));
    try {
      const run = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
      run('init', '-q');
      for (const [p, c] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), c);
      }
      run('add', '.');
      assert.equal(tree, run('write-tree'));
      assert.equal(map.get('README.md'), run('hash-object', 'README.md'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('walks a tree depth-first in git order (a folder sorts as "name/"), as GitHub lists a recursive tree', () => {
    const git = new GitObjects();
    const tree = git.writeTreeFromFiles(new Map(Object.entries(files).map(([p, c]) => [p, git.writeBlob(c)])));
    assert.deepEqual(
      git.walk(tree, true).map((e) => e.path),
      ['README.md', 'deploy-notes.txt', 'deploy', 'deploy/billing-api.md', 'deploy/billing-api', 'deploy/billing-api/app.yaml', 'deploy/billing-api/deploy.yaml'],
    );
    assert.deepEqual(git.lookup(tree, 'deploy/billing-api')?.type, 'tree');
    assert.equal(git.lookup(tree, 'deploy/nope'), undefined);
    assert.deepEqual([...git.readFiles(tree).keys()].sort(), Object.keys(files).sort());
  });
});
