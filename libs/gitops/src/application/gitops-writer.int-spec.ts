import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeGitHub } from '@sluice/fake-scm';
import { GitHubWrites, ScmClients } from '@sluice/scm';
import { deployIdOf } from '../domain/deploy-trailer';
import { GitOpsTargetError, GitOpsWriter } from './gitops-writer';

const VALUES = '# billing\nimage:\n  repository: ghcr.io/acme/billing\n  tag: main-1111111 # written by Sluice\n';
const target = { repo: 'acme/gitops', branch: 'main', path: 'apps/billing/values.yaml', key: 'image.tag' };
const deploy = (n: number) => ({ deployId: `01a23f4c-17d5-779f-85f4-${String(n).padStart(12, '0')}`, config: 'billing-api', value: `main-${String(n).repeat(7).slice(0, 7)}`, requestedBy: 'team:payments' });

describe('GitOpsWriter against the fake GitHub contents API', () => {
  const gh = new FakeGitHub({ tokens: ['t'] });
  let writer: GitOpsWriter;
  const commitsOfFile = () => [...gh.state.requireRepo(target.repo).git.commits.values()].filter((c) => c.message.startsWith('deploy ') || c.message.startsWith('human'));

  before(async () => {
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'gitops' });
    gh.seed.commit(target.repo, { message: 'values', files: { [target.path]: VALUES } });
    const scm = new ScmClients().githubScm(gh.url, { kind: 'token', token: 't' });
    writer = new GitOpsWriter(new GitHubWrites(scm), scm, { backoffMs: 5 });
  });
  after(() => gh.stop());

  const fileAtHead = async () => {
    const res = await fetch(`${gh.url}/repos/${target.repo}/contents/${target.path}?ref=main`, { headers: { authorization: 'token t' } });
    return Buffer.from(((await res.json()) as { content: string }).content, 'base64').toString('utf8');
  };

  it('makes one commit, by Sluice, with the deploy id as a trailer and the comments kept', async () => {
    const d = deploy(2);
    const { commitSha } = await writer.write(target, d);
    assert.ok(commitSha);
    const commit = gh.state.requireRepo(target.repo).git.commits.get(commitSha!)!;
    assert.equal(deployIdOf(commit.message), d.deployId);
    assert.equal(await fileAtHead(), VALUES.replace('main-1111111', d.value));
  });

  it('a redelivered request whose tag is already there makes no commit', async () => {
    const before = commitsOfFile().length;
    const again = await writer.write(target, deploy(2));
    assert.equal(again.commitSha, null);
    assert.equal(again.revision, gh.state.requireRepo(target.repo).branches.get('main'), 'the commit that holds the tag, for Argo CD');
    assert.equal(commitsOfFile().length, before);
  });

  it('a concurrent human commit to the file (stale blob SHA: 409) is read again and the change redone on top of it', async () => {
    const scm = new ScmClients().githubScm(gh.url, { kind: 'token', token: 't' });
    const files = new GitHubWrites(scm);
    let raced = false;
    const racing = new GitOpsWriter(
      {
        readFile: (repo, path, branch) => files.readFile(repo, path, branch),
        commitFile: async (repo, input) => {
          if (!raced) {
            raced = true; // a person commits between Sluice's read and its write
            const current = await fileAtHead();
            gh.seed.commit(target.repo, { message: 'human: more replicas', files: { [target.path]: current.replace(/^# billing\n/, '# billing\nreplicaCount: 3\n') } });
          }
          return files.commitFile(repo, input);
        },
      },
      scm,
      { backoffMs: 5 },
    );
    const d = deploy(3);
    const { commitSha } = await racing.write(target, d);
    assert.ok(commitSha);
    const text = await fileAtHead();
    assert.match(text, /replicaCount: 3/, 'the human change is kept');
    assert.match(text, new RegExp(`tag: ${d.value} # written by Sluice`), 'and the deploy is on top of it');
    assert.equal(commitsOfFile().filter((c) => deployIdOf(c.message) === d.deployId).length, 1, 'exactly one commit for the deploy');
  });

  it('a file that is absent, or a key that holds a mapping, fails the deploy with a clear message', async () => {
    await assert.rejects(writer.write({ ...target, path: 'apps/nope.yaml' }, deploy(4)), (e: unknown) => e instanceof GitOpsTargetError && /apps\/nope\.yaml does not exist/.test((e as Error).message));
    await assert.rejects(writer.write({ ...target, key: 'image' }, deploy(4)), (e: unknown) => e instanceof GitOpsTargetError && /holds a mapping/.test((e as Error).message));
  });
});
