import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeGitHub } from '@sluice/fake-scm';
import { ScmRequestError } from '../errors';
import { GitHubScm } from './github-scm';
import { GitHubWrites } from './github-writes';

// Issue comments and transient deployments through the writes' client stack, against FakeGitHub
// (requests and answers checked against GitHub's OpenAPI description).
describe('GitHubWrites: issue comments, transient deployments', () => {
  const fake = new FakeGitHub({ tokens: ['t0ken'] });
  let writes: GitHubWrites;
  let head: string;
  const ref = { fullName: 'acme/billing' };

  before(async () => {
    await fake.start();
    writes = new GitHubWrites(new GitHubScm({ baseUrl: fake.url, credentials: { kind: 'token', token: 't0ken' } }));
    fake.seed.repo({ owner: 'acme', name: 'billing' });
    head = fake.seed.commit('acme/billing', { message: 'one', files: { 'a.txt': 'a' } });
  });
  after(async () => {
    await fake.stop();
  });

  it('creates, lists (paged, oldest first) and edits comments in place; a missing comment is a 404', async () => {
    const first = await writes.createIssueComment(ref, 7, 'first');
    // Fillers straight to the fake: the writes are paced (one per second per credential).
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${fake.url}/repos/acme/billing/issues/7/comments`, {
        method: 'POST',
        headers: { authorization: 'token t0ken', 'content-type': 'application/json' },
        body: JSON.stringify({ body: `filler ${i}` }),
      });
      assert.equal(res.status, 201);
    }
    assert.deepEqual((await writes.listIssueComments(ref, 7, 1)).length, 100);
    assert.equal((await writes.listIssueComments(ref, 7, 1))[0].id, first.id);
    assert.deepEqual((await writes.listIssueComments(ref, 7, 2)).map((c) => c.body), ['filler 99']);
    const edited = await writes.updateIssueComment(ref, first.id, 'first, edited');
    assert.deepEqual(edited, { id: first.id, body: 'first, edited' });
    assert.equal(fake.comments('acme/billing', 7).length, 101);
    await assert.rejects(writes.updateIssueComment(ref, 1, 'x'), (e: unknown) => e instanceof ScmRequestError && e.status === 404);
  });

  it('creates a transient deployment', async () => {
    const d = await writes.createDeployment(ref, {
      ref: head,
      environment: 'preview/billing-api/pr-7',
      description: 'preview',
      auto_merge: false,
      required_contexts: [],
      payload: { sluicePreviewId: 'p1' },
      transient_environment: true,
      production_environment: false,
    });
    assert.equal(fake.deployments('acme/billing').find((x) => x.id === d.id)?.transient_environment, true);
    assert.deepEqual((await writes.listDeployments(ref, { sha: head, environment: 'preview/billing-api/pr-7' })).map((x) => x.payload), [{ sluicePreviewId: 'p1' }]);
  });
});
