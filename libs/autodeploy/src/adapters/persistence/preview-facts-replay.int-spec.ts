import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Topics, type DeployConfigRoot, type EventEnvelope } from '@sluice/contracts';
import { waitUntil } from '@sluice/testing';
import request from 'supertest';
import { ADMIN_TOKEN, envelope, publishRepo, sha, startAutodeploy, type Harness } from '../../testing/harness';

/*
 * The previews' facts (configs with previews, pull requests, green builds) rebuilt from the inputs
 * their consumer kept in autodeploy's log (issue #23): after pull requests opened, pushed to and
 * closed, green and failed builds, a config that declares previews, one that stops declaring them
 * and one removed, the rebuilt tables equal the live ones row for row; the previews' copies are
 * their own (the repository knowledge's rebuild does not read them, and it rebuilds the same).
 */

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const TABLES = { preview_configs: 'name', preview_pull_requests: 'repo, number', preview_green_builds: 'repo, sha, build_name' } as const;

describe("the previews' facts rebuilt from the inputs they kept (real PostgreSQL, autodeploy over HTTP)", { timeout: 120_000 }, () => {
  let h: Harness;
  let inputs = 0;
  const root = (name: string, previews: boolean): DeployConfigRoot => ({
    name,
    team: 'payments',
    namespace: 'payments',
    artifact: { repo: 'acme/app', image: 'ghcr.io/acme/app', build: 'ci' },
    track: { branch: 'main' },
    autodeploy: false,
    configRepo: 'acme/cfg',
    path: `deploy/${name}`,
    ...(previews ? { previews: { slots: 2, ttlSeconds: 3600, namespace: `${name}-previews`, host: null } } : {}),
  });
  const pr = async (number: number, headSha: string, action: 'opened' | 'synchronize' | 'closed') => {
    inputs++;
    await h.bus.publish(Topics.scm, [
      envelope('scm.pull-request.changed', `delivery-${number}-${action}`, {
        deliveryId: `d-${number}-${action}-${headSha.slice(0, 4)}`,
        repo: { provider: 'github', id: 42, fullName: 'acme/app', owner: 'acme', name: 'app', defaultBranch: 'main', private: true } as never,
        action,
        number,
        headSha,
        headRef: `feature-${number}`,
        baseRef: 'main',
        merged: false,
      }),
    ]);
  };
  const repo = async (e: Promise<EventEnvelope>) => {
    inputs++;
    await e;
  };
  const build = (commit: string, conclusion: 'success' | 'failure') =>
    repo(publishRepo(h.bus, 'repo.build.recorded', 'acme/app', { repo: 'acme/app', sha: commit, branch: null, buildName: 'ci', status: 'completed', conclusion, url: null }));
  const dump = async () => {
    const out: Record<string, unknown> = {};
    for (const [table, order] of Object.entries(TABLES)) {
      const [row]: Array<{ rows: string }> = await h.dataSource.query(`SELECT coalesce(json_agg(to_jsonb(t) ORDER BY ${order}), '[]'::json)::text AS rows FROM autodeploy.${table} t`);
      out[table] = JSON.parse(row!.rows);
    }
    return out;
  };
  const kept = async () => Number((await h.dataSource.query(`SELECT count(*)::int AS n FROM autodeploy.events WHERE stream LIKE 'received:previews:%'`))[0].n);
  const replay = async (path: string) => {
    const started = await request(h.http).post(path).set(admin).expect(202);
    let status = started.body as { status: string; error: string | null };
    await waitUntil(async () => (status = (await request(h.http).get(`${path}/${started.body.replayId}`).set(admin).expect(200)).body).status !== 'running', {
      timeoutMs: 30_000,
      message: `${path} ends`,
    });
    return status;
  };

  before(async () => {
    h = await startAutodeploy();
    await repo(publishRepo(h.bus, 'repo.config.discovered', 'acme/cfg', { config: root('web', true), configSha: sha('c') }));
    await repo(publishRepo(h.bus, 'repo.config.discovered', 'acme/cfg', { config: root('api', true), configSha: sha('c') }));
    await repo(publishRepo(h.bus, 'repo.config.discovered', 'acme/cfg', { config: root('jobs', true), configSha: sha('c') }));
    await pr(1, sha('1'), 'opened');
    await build(sha('1'), 'success');
    await pr(2, sha('2'), 'opened');
    await build(sha('2'), 'failure');
    await pr(1, sha('3'), 'synchronize');
    await build(sha('3'), 'success');
    await pr(2, sha('2'), 'closed');
    await repo(publishRepo(h.bus, 'repo.config.changed', 'acme/cfg', { config: root('api', false), configSha: sha('d') }));
    await repo(publishRepo(h.bus, 'repo.config.removed', 'acme/cfg', { name: 'jobs', configRepo: 'acme/cfg', configSha: sha('e') }));
    await waitUntil(async () => (await kept()) === inputs, { timeoutMs: 20_000, message: "every input kept once for the previews" });
    // The repository knowledge is another consumer of the same events: its snapshot below is taken
    // once it has handled the last of them (the removal of `jobs`), not while it may still lag.
    await waitUntil(async () => (await h.dataSource.query(`SELECT 1 FROM autodeploy.config_routes WHERE name = 'jobs' AND removed`)).length === 1, {
      timeoutMs: 20_000,
      message: 'the repository knowledge has handled the removal of jobs',
    });
  });

  after(async () => {
    await h?.close();
  });

  it('rebuilds the three tables equal to the live ones, row for row, and the repository knowledge is unaffected', async () => {
    const live = await dump();
    assert.deepEqual((live.preview_configs as Array<{ name: string }>).map((c) => c.name), ['web'], 'only the config that still declares previews');
    assert.deepEqual((live.preview_pull_requests as Array<{ number: number; open: boolean; head_sha: string }>).map((p) => [p.number, p.open, p.head_sha[0]]), [
      [1, true, '3'],
      [2, false, '2'],
    ]);
    assert.deepEqual((live.preview_green_builds as Array<{ sha: string }>).map((g) => g.sha[0]), ['1', '3']);
    const routes = await h.dataSource.query(`SELECT name, removed FROM autodeploy.config_routes ORDER BY name`);

    assert.deepEqual(await replay('/api/admin/replay/autodeploy/preview-facts').then((s) => [s.status, s.error]), ['done', null]);
    assert.deepEqual(await dump(), live);
    assert.deepEqual(await replay('/api/admin/replay/autodeploy/repo-knowledge').then((s) => [s.status, s.error]), ['done', null]);
    assert.deepEqual(await h.dataSource.query(`SELECT name, removed FROM autodeploy.config_routes ORDER BY name`), routes);
  });

  it('answers 409 when the facts were written before the previews kept their inputs', async () => {
    await h.dataSource.query(`UPDATE autodeploy.preview_facts_log SET complete = false`);
    try {
      const refused = await request(h.http).post('/api/admin/replay/autodeploy/preview-facts').set(admin).expect(409);
      assert.equal(refused.body.error.code, 'preview_facts_log_incomplete');
    } finally {
      await h.dataSource.query(`UPDATE autodeploy.preview_facts_log SET complete = true`);
    }
  });
});
