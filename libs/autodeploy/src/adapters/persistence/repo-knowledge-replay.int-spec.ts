import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DeployConfigRoot, EventEnvelope } from '@sluice/contracts';
import { waitUntil } from '@sluice/testing';
import request from 'supertest';
import { ADMIN_TOKEN, publishRepo, sha, startAutodeploy, type Harness } from '../../testing/harness';
import { REPO_KNOWLEDGE_TABLES } from './migrations';

/*
 * What autodeploy knows of the repositories (branch heads, commits and their times, green builds,
 * the configs' routes) rebuilt from its log (issue #23 "Replay of every view"): after a scripted
 * sluice.repo.v1 history — pushes, builds out of order (a stale re-run that must not turn green),
 * a failure, a tag, configs discovered, changed and removed, a branch deleted, a repository
 * renamed — the rebuilt tables equal the live ones row for row (the serial columns `seen`/`seq`
 * compared by the order they give), and the consumer goes on writing them after the swap.
 */

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const ORDER: Record<(typeof REPO_KNOWLEDGE_TABLES)[number], string> = {
  repos: 'repo',
  branches: 'repo, branch',
  known_commits: 'seen',
  commit_times: 'repo, sha',
  green_builds: 'seq',
  config_routes: 'name',
};

describe("autodeploy's repository knowledge rebuilt from its log (real PostgreSQL, the service over HTTP)", { timeout: 120_000 }, () => {
  let h: Harness;
  const published: EventEnvelope[] = [];
  const push = async (repo: string, branch: string, headSha: string, previousSha: string | null, at: string) =>
    published.push(await publishRepo(h.bus, 'repo.branch.updated', repo, { repo, defaultBranch: 'main', branch, headSha, previousSha, forced: false, headCommit: { sha: headSha, message: 'change', authorName: null, authorEmail: null, timestamp: at } }));
  const build = async (repo: string, commit: string, conclusion: 'success' | 'failure', runId: number) =>
    published.push(
      await publishRepo(h.bus, 'repo.build.recorded', repo, {
        repo,
        sha: commit,
        branch: 'main',
        buildName: 'ci',
        status: 'completed',
        conclusion,
        url: `https://ci.example/runs/${runId}`,
      }),
    );
  const root = (name: string, over: Partial<DeployConfigRoot> = {}): DeployConfigRoot => ({
    name,
    team: 'payments',
    namespace: 'payments',
    artifact: { repo: 'acme/app', image: 'ghcr.io/acme/app', build: 'ci' },
    track: { branch: 'main' },
    autodeploy: true,
    configRepo: 'acme/cfg',
    path: `deploy/${name}`,
    ...over,
  });

  /** Every row of the six tables as JSON, in key order (the serial columns replaced by the order they give). */
  const dump = async () => {
    const out: Record<string, unknown> = {};
    for (const table of REPO_KNOWLEDGE_TABLES) {
      const [row]: Array<{ rows: unknown }> = await h.dataSource.query(
        `SELECT coalesce(json_agg(to_jsonb(t) - 'seen' - 'seq' ORDER BY ${ORDER[table]}), '[]'::json)::text AS rows FROM autodeploy.${table} t`,
      );
      out[table] = JSON.parse(String(row!.rows));
    }
    return out;
  };
  const kept = async () => Number((await h.dataSource.query(`SELECT count(*)::int AS n FROM autodeploy.events WHERE stream LIKE 'received-repo-%'`))[0].n);

  before(async () => {
    h = await startAutodeploy();
    const [s1, s2, s3, c1, c2, c3] = [sha('1'), sha('2'), sha('3'), sha('c'), sha('d'), sha('e')];
    await push('acme/cfg', 'main', c1, null, '2026-12-01T10:00:00Z');
    published.push(await publishRepo(h.bus, 'repo.config.discovered', 'acme/cfg', { config: root('app'), configSha: c1 }));
    published.push(await publishRepo(h.bus, 'repo.config.discovered', 'acme/cfg', { config: root('docs', { artifact: null }), configSha: c1 }));
    published.push(await publishRepo(h.bus, 'repo.config.discovered', 'acme/cfg', { config: root('legacy', { artifact: { repo: 'acme/old', image: 'ghcr.io/acme/old', build: null } }), configSha: c1 }));
    await push('acme/app', 'main', s1, null, '2026-12-01T10:05:00Z');
    await build('acme/app', s1, 'success', 1);
    await push('acme/app', 'main', s2, s1, '2026-12-01T10:10:00Z');
    await build('acme/app', s1, 'success', 2); // a re-run of a commit the branch moved past: not green
    await build('acme/app', s2, 'failure', 3);
    await build('acme/app', s2, 'success', 4);
    await push('acme/app', 'feature', s3, null, '2026-12-01T10:20:00Z');
    published.push(await publishRepo(h.bus, 'repo.branch.deleted', 'acme/app', { repo: 'acme/app', branch: 'feature' }));
    published.push(await publishRepo(h.bus, 'repo.tag.pushed', 'acme/app', { repo: 'acme/app', tag: 'v1.0.0', sha: s2, previousSha: null, pusher: 'octocat' }));
    await push('acme/cfg', 'main', c2, c1, '2026-12-01T10:30:00Z');
    published.push(await publishRepo(h.bus, 'repo.config.changed', 'acme/cfg', { config: root('app', { track: { branch: 'main' }, autodeploy: false }), configSha: c2 }));
    await push('acme/cfg', 'main', c3, c2, '2026-12-01T10:40:00Z');
    published.push(await publishRepo(h.bus, 'repo.config.removed', 'acme/cfg', { name: 'docs', configRepo: 'acme/cfg', configSha: c3 }));
    await push('acme/old', 'main', s3, null, '2026-12-01T10:50:00Z');
    published.push(await publishRepo(h.bus, 'repo.renamed', 'acme/old', { provider: 'github', id: 7, from: 'acme/old', to: 'acme/new' }));
    await waitUntil(async () => (await kept()) === published.length, { timeoutMs: 20_000, message: 'every repo event kept once in the log' });
  });

  after(async () => {
    await h?.close();
  });

  it('rebuilds the six tables equal to the live ones, row for row', async () => {
    const live = await dump();
    const green = live.green_builds as Array<{ sha: string }>;
    assert.deepEqual(green.map((g) => g.sha[0]), ['1', '2'], 'green: the first build, and the success of the new head; not the stale re-run, not the failure');
    assert.deepEqual((live.config_routes as Array<{ name: string; removed: boolean; artifact_repo: string | null; autodeploy: boolean }>).map((r) => [r.name, r.removed, r.artifact_repo, r.autodeploy]), [
      ['app', false, 'acme/app', false],
      ['docs', true, null, true],
      ['legacy', false, 'acme/new', true],
    ]);
    assert.ok(!(live.branches as Array<{ branch: string }>).some((b) => b.branch === 'feature'), 'the deleted branch is gone');
    assert.ok((live.repos as Array<{ repo: string }>).some((r) => r.repo === 'acme/new') && !(live.repos as Array<{ repo: string }>).some((r) => r.repo === 'acme/old'), 'renamed');

    const started = await request(h.http).post('/api/admin/replay/autodeploy/repo-knowledge').set(admin).expect(202);
    let status = started.body as { status: string; processed: number; error: string | null };
    await waitUntil(async () => (status = (await request(h.http).get(`/api/admin/replay/autodeploy/repo-knowledge/${started.body.replayId}`).set(admin).expect(200)).body).status !== 'running', {
      timeoutMs: 30_000,
      message: 'the rebuild ends',
    });
    assert.deepEqual([status.status, status.error], ['done', null]);
    assert.deepEqual(await dump(), live);

    // The consumer writes the swapped tables.
    await push('acme/app', 'main', sha('4'), sha('2'), '2026-12-01T11:00:00Z');
    await waitUntil(async () => (await h.dataSource.query(`SELECT 1 FROM autodeploy.branches WHERE repo = 'acme/app' AND branch = 'main' AND head_sha = $1`, [sha('4')])).length === 1, {
      message: 'a push after the swap',
    });
  });

  it('answers 401 without a token and 409 when the tables were written before autodeploy kept their events', async () => {
    await request(h.http).post('/api/admin/replay/autodeploy/repo-knowledge').expect(401);
    await h.dataSource.query(`UPDATE autodeploy.repo_knowledge_log SET complete = false`);
    try {
      const refused = await request(h.http).post('/api/admin/replay/autodeploy/repo-knowledge').set(admin).expect(409);
      assert.equal(refused.body.error.code, 'repo_knowledge_log_incomplete');
    } finally {
      await h.dataSource.query(`UPDATE autodeploy.repo_knowledge_log SET complete = true`);
    }
  });
});
