// SLUICE_CATALOGUE_VISIBILITY on the real catalogue (PostgreSQL, global sync from the fake
// GitHub): a team token reads the repositories of its own configs only, and another team's
// repository answers exactly as an unknown one; `installation` keeps every repository readable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CatalogueVisibility } from '@sluice/auth';
import { announceTeamToken } from '@sluice/auth/testing';
import { FakeGitHub } from '@sluice/fake-scm';
import { waitUntil } from '@sluice/testing';
import { startRepoSync, type RepoSyncTestApp } from '../../test/repo-sync-app';

/** One config repository holding both teams' configs, an artifact repository each, and one nobody's. */
function seed(fake: FakeGitHub): { bHead: string } {
  const config = (team: string, app: string) => `team: ${team}\nnamespace: ${team}\nartifact:\n  repo: acme/${app}\n  image: ghcr.io/acme/${app}\n`;
  fake.seed.repo({ owner: 'acme', name: 'shared-config' });
  fake.seed.commit('acme/shared-config', {
    message: 'configs',
    files: { 'deploy/a-svc/deploy.yaml': config('tenant-a', 'a-app'), 'deploy/b-svc/deploy.yaml': config('tenant-b', 'b-app') },
  });
  fake.seed.repo({ owner: 'acme', name: 'b-config' });
  fake.seed.commit('acme/b-config', { message: 'b only', files: { 'deploy/b-only/deploy.yaml': 'team: tenant-b\nnamespace: tenant-b\n' } });
  let bHead = '';
  for (const name of ['a-app', 'b-app', 'nobodys']) {
    fake.seed.repo({ owner: 'acme', name });
    const head = fake.seed.commit(`acme/${name}`, { message: 'init', files: { 'README.md': name } });
    if (name === 'b-app') bHead = head;
  }
  return { bHead };
}

async function synced(t: RepoSyncTestApp): Promise<void> {
  const started = await t.api('/api/admin/sync', { method: 'POST' });
  assert.equal(started.status, 202);
  await waitUntil(async () => (await t.api(`/api/admin/sync/${started.body.syncId}`)).body.state === 'completed', { timeoutMs: 60_000, message: 'global sync completed' });
}

async function teamToken(t: RepoSyncTestApp, team: string): Promise<string> {
  const { token } = await announceTeamToken(t.bus, team);
  await waitUntil(async () => (await t.api('/api/repos', { token })).status === 200, { timeoutMs: 30_000, message: 'team token accepted' });
  return token;
}

const names = (body: { items: Array<{ fullName: string }> }) => body.items.map((r) => r.fullName);

function catalogueWith(visibility: CatalogueVisibility | undefined, run: (ctx: () => { t: RepoSyncTestApp; token: string; bHead: string }) => void): void {
  const fake = new FakeGitHub();
  let t: RepoSyncTestApp;
  let token: string;
  let bHead: string;
  before(async () => {
    await fake.start();
    ({ bHead } = seed(fake));
    t = await startRepoSync(fake, { visibility });
    await synced(t);
    token = await teamToken(t, 'tenant-a');
  });
  after(async () => {
    await t?.close();
    await fake.stop();
  });
  run(() => ({ t, token, bHead }));
}

describe('catalogue visibility team (the default)', () => {
  catalogueWith(undefined, (ctx) => {
    it("lists only the team's config and artifact repositories, counting only its configs", async () => {
      const { t, token } = ctx();
      const mine = await t.api('/api/repos', { token });
      assert.equal(mine.status, 200);
      assert.deepEqual(names(mine.body), ['acme/a-app', 'acme/shared-config']);
      assert.equal(mine.body.items.find((r: { fullName: string }) => r.fullName === 'acme/shared-config').configs, 1);
      const all = await t.api('/api/repos');
      assert.deepEqual(names(all.body), ['acme/a-app', 'acme/b-app', 'acme/b-config', 'acme/nobodys', 'acme/shared-config'], 'the admin sees every repository');
    });

    it("answers another team's repository exactly as an unknown one (404), on every route", async () => {
      const { t, token, bHead } = ctx();
      for (const repo of ['acme/b-app', 'acme/b-config', 'acme/nobodys', 'acme/never-seen']) {
        for (const suffix of ['', '/branches', '/configs', `/commits/${bHead}`]) {
          const res = await t.api(`/api/repos/${repo}${suffix}`, { token });
          assert.equal(res.status, 404, `${repo}${suffix}`);
          assert.deepEqual(res.body.error, { code: 'not_found', message: `repository ${repo} is not in the catalogue` });
        }
      }
      assert.equal((await t.api(`/api/repos/acme/b-app/commits/${bHead}`)).status, 200, 'the admin reads it');
    });

    it("shows the team's own repositories, and in a shared config repository only its own configs", async () => {
      const { t, token } = ctx();
      assert.equal((await t.api('/api/repos/acme/a-app/branches', { token })).status, 200);
      const configs = await t.api('/api/repos/acme/shared-config/configs', { token });
      assert.equal(configs.status, 200);
      assert.deepEqual(configs.body.configs.map((c: { name: string }) => c.name), ['a-svc']);
      const detail = await t.api('/api/repos/acme/shared-config', { token });
      assert.equal(detail.body.configs, 1);
      const admin = await t.api('/api/repos/acme/shared-config/configs');
      assert.deepEqual(admin.body.configs.map((c: { name: string }) => c.name), ['a-svc', 'b-svc']);
    });
  });
});

describe('catalogue visibility installation', () => {
  catalogueWith('installation', (ctx) => {
    it('lets a team token read every repository and config, as before issue 15', async () => {
      const { t, token, bHead } = ctx();
      const all = await t.api('/api/repos', { token });
      assert.deepEqual(names(all.body), ['acme/a-app', 'acme/b-app', 'acme/b-config', 'acme/nobodys', 'acme/shared-config']);
      assert.equal((await t.api(`/api/repos/acme/b-app/commits/${bHead}`, { token })).status, 200);
      const configs = await t.api('/api/repos/acme/shared-config/configs', { token });
      assert.deepEqual(configs.body.configs.map((c: { name: string }) => c.name), ['a-svc', 'b-svc']);
    });
  });
});
