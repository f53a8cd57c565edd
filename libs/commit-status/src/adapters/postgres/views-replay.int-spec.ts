import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Topics, type DeployConfigRoot, type EventData, type EventEnvelope } from '@sluice/contracts';
import { FakeGitHub } from '@sluice/fake-scm';
import { waitUntil } from '@sluice/testing';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { deployRequestedData } from '../../testing/events';
import { ADMIN, envelope, startCommitStatus, type App } from '../../testing/app';
import { COMMIT_STATUS_VIEW_TABLES } from './views';

/*
 * commit-status's views rebuilt from the events it kept in its own log (issue #23 "Replay of every
 * view"): after a scripted history on sluice.repo.v1 and sluice.deploy.v1 (redeliveries, renames,
 * a removed config, a GitLab artifact, outcomes of superseded deploys), the rebuilt
 * deploy_statuses, config_repos and repo_providers equal the live ones row for row; a row the
 * log contradicts is corrected and its CommitStatus written again; 409 for views written before
 * the log kept their events.
 */

const TOKEN = 'ghp_views_replay';
const PUBLIC = 'https://sluice.example';
const sha = (c: string) => c.repeat(40);

describe('commit-status views rebuilt from its log (real PostgreSQL, the service over HTTP)', { timeout: 120_000 }, () => {
  let gh: FakeGitHub;
  let svc: App;
  const published: EventEnvelope[] = [];

  const publish = async (topic: string, e: EventEnvelope) => {
    published.push(e);
    await svc.bus.publish(topic, [e]);
  };
  const config = (name: string, team: string, artifactRepo: string | null, configRepo = 'acme/deploy'): DeployConfigRoot => ({
    name,
    team,
    namespace: team,
    artifact: artifactRepo ? { repo: artifactRepo, image: `ghcr.io/${artifactRepo}`, build: null } : null,
    track: { branch: 'main' },
    autodeploy: true,
    configRepo,
    path: `deploy/${name}`,
  });
  const requested = (name: string, deployId: string, over: Partial<EventData<'deploy.requested'>> = {}) =>
    deployRequestedData({ deployId, config: name, team: 'payments', namespace: 'payments', path: `deploy/${name}`, ...over });

  /** Every row of the views, as JSON, in key order. */
  const rows = async () => {
    const out: Record<string, unknown[]> = {};
    for (const table of COMMIT_STATUS_VIEW_TABLES) {
      const r: Array<{ row: unknown }> = await svc.dataSource.query(`SELECT to_jsonb(t) AS row FROM commit_status.${table} t ORDER BY to_jsonb(t)::text`);
      out[table] = r.map((x) => x.row);
    }
    return out;
  };
  const kept = async () => Number((await svc.dataSource.query(`SELECT count(*)::int AS n FROM commit_status.events WHERE stream LIKE 'received-%' AND stream NOT LIKE 'received-auth-token-%'`))[0].n);
  const replay = async () => {
    const started = await request(svc.http).post('/api/admin/replay/commit-status').set('Authorization', `Bearer ${ADMIN}`).expect(202);
    let status = started.body as { replayId: string; status: string; processed: number; error: string | null };
    await waitUntil(
      async () => (status = (await request(svc.http).get(`/api/admin/replay/commit-status/${started.body.replayId}`).set('Authorization', `Bearer ${ADMIN}`).expect(200)).body).status !== 'running',
      { timeoutMs: 30_000, message: 'the rebuild ends' },
    );
    return status;
  };

  before(async () => {
    gh = new FakeGitHub({ tokens: [TOKEN] });
    await gh.start();
    svc = await startCommitStatus({ GITHUB_API_URL: gh.url, GITHUB_TOKEN: TOKEN, SLUICE_PUBLIC_URL: PUBLIC, COMMIT_STATUS_STORE: 'postgres' });

    // sluice.repo.v1: repositories on two providers, configs of two teams, a rename, a removal.
    for (const [provider, fullName, id] of [['github', 'acme/billing', 1], ['gitlab', 'acme/orders', 2], ['github', 'acme/deploy', 3], ['github', 'acme/old-web', 4]] as const) {
      await publish(Topics.repo, envelope('repo.upserted', `repo-${provider}-${id}`, { repo: { provider, fullName, id, defaultBranch: 'main', private: true } }));
    }
    await publish(Topics.repo, envelope('repo.config.discovered', 'repo-acme/deploy', { config: config('billing-api', 'payments', 'acme/billing'), configSha: sha('c') }));
    await publish(Topics.repo, envelope('repo.config.discovered', 'repo-acme/deploy', { config: config('orders', 'payments', 'acme/orders'), configSha: sha('c') }));
    await publish(Topics.repo, envelope('repo.config.discovered', 'repo-acme/deploy', { config: config('web', 'web', 'acme/old-web'), configSha: sha('c') }));
    await publish(Topics.repo, envelope('repo.config.discovered', 'repo-acme/deploy', { config: config('static', 'web', null), configSha: sha('c') }));
    await publish(Topics.repo, envelope('repo.config.changed', 'repo-acme/deploy', { config: config('static', 'docs', null), configSha: sha('d') }));
    await publish(Topics.repo, envelope('repo.renamed', 'repo-github-4', { provider: 'github', id: 4, from: 'acme/old-web', to: 'acme/web' }));
    await publish(Topics.repo, envelope('repo.config.discovered', 'repo-acme/deploy', { config: config('gone', 'web', null), configSha: sha('c') }));
    await publish(Topics.repo, envelope('repo.config.removed', 'repo-acme/deploy', { name: 'gone', configRepo: 'acme/deploy', configSha: sha('e') }));
    await waitUntil(async () => (await kept()) === 12, { timeoutMs: 15_000, message: 'the repo events are kept' });

    // sluice.deploy.v1: a deploy that succeeds, one superseded by the next (whose late outcome changes nothing), a failure, a redelivery.
    const [d1, d2, d3, d4, d5] = [uuidv7(), uuidv7(), uuidv7(), uuidv7(), uuidv7()];
    const billing = 'config-billing-api';
    await publish(Topics.deploy, envelope('deploy.requested', billing, requested('billing-api', d1, { artifactRepo: 'acme/billing', artifactSha: sha('1') })));
    await publish(Topics.deploy, envelope('deploy.started', billing, { deployId: d1, config: 'billing-api' }));
    await publish(Topics.deploy, envelope('deploy.succeeded', billing, { deployId: d1, config: 'billing-api' }));
    await publish(Topics.deploy, envelope('deploy.requested', billing, requested('billing-api', d2, { artifactRepo: 'acme/billing', artifactSha: sha('2') })));
    await publish(Topics.deploy, envelope('deploy.superseded', billing, { deployId: d2, config: 'billing-api', supersededBy: d3 }));
    await publish(Topics.deploy, envelope('deploy.requested', billing, requested('billing-api', d3, { artifactRepo: 'acme/billing', artifactSha: sha('3') })));
    await publish(Topics.deploy, envelope('deploy.succeeded', billing, { deployId: d2, config: 'billing-api' }));
    const orders = envelope('deploy.requested', 'config-orders', requested('orders', d4, { artifactRepo: 'acme/orders', artifactSha: sha('4') }));
    await publish(Topics.deploy, orders);
    await svc.bus.publish(Topics.deploy, [orders]); // redelivered: the inbox skips it
    await publish(Topics.deploy, envelope('deploy.failed', 'config-orders', { deployId: d4, config: 'orders', reason: 'ImagePullBackOff', message: 'no such tag', terminal: true }));
    await publish(Topics.deploy, envelope('deploy.requested', 'config-static', requested('static', d5, { artifactRepo: null, artifactImage: null, artifactSha: null, imageTag: null, configSha: sha('d') })));
    await publish(Topics.deploy, envelope('deploy.applied', 'config-static', { deployId: d5, config: 'static', dryRun: false, inventory: [] }));
    await waitUntil(async () => (await kept()) === published.length, { timeoutMs: 15_000, message: 'every event is kept once' });
  });

  after(async () => {
    await svc?.close();
    await gh?.stop();
  });

  it('keeps every event it projects in its log once, and rebuilds the views equal to the live ones, row for row', async () => {
    const live = await rows();
    assert.deepEqual(
      (live.deploy_statuses as Array<{ config: string; state: { phase: string; sha: string; provider?: string } }>).map((r) => [r.config, r.state.phase, r.state.sha[0], r.state.provider ?? 'github']),
      [['billing-api', 'queued', '3', 'github'], ['orders', 'failure', '4', 'gitlab'], ['static', 'in_progress', 'd', 'github']],
    );
    assert.deepEqual((live.config_repos as Array<{ config: string; team: string; artifact_repo: string | null }>).map((r) => [r.config, r.team, r.artifact_repo]).sort(), [
      ['billing-api', 'payments', 'acme/billing'],
      ['orders', 'payments', 'acme/orders'],
      ['static', 'docs', null],
      ['web', 'web', 'acme/web'],
    ]);
    const status = await replay();
    assert.deepEqual([status.status, status.error], ['done', null]);
    assert.ok(status.processed >= published.length, `${status.processed} events projected`);
    assert.deepEqual(await rows(), live);
  });

  it('corrects a row the log contradicts and writes its CommitStatus from the rebuilt state', async () => {
    const spec = async () => (await svc.dataSource.query(`SELECT spec FROM commit_status.commit_statuses WHERE name = 'sluice-orders'`))[0]?.spec as { sha: string; phase: string } | undefined;
    await waitUntil(async () => (await spec())?.phase === 'failure', { message: 'the CommitStatus of orders' });
    const before = await rows();
    // A live row damaged outside the projection (a manual edit, a bug): another commit and phase, and a config it never had.
    await svc.dataSource.query(`UPDATE commit_status.deploy_statuses SET state = jsonb_set(jsonb_set(state, '{sha}', to_jsonb($1::text)), '{phase}', '"success"') WHERE config = 'orders'`, [sha('9')]);
    await svc.dataSource.query(`UPDATE commit_status.commit_statuses SET spec = jsonb_set(spec, '{sha}', to_jsonb($1::text)) WHERE name = 'sluice-orders'`, [sha('9')]);
    await svc.dataSource.query(`DELETE FROM commit_status.config_repos WHERE config = 'web'`);
    await svc.dataSource.query(`INSERT INTO commit_status.repo_providers (provider, full_name) VALUES ('bitbucket', 'acme/nobody')`);
    const status = await replay();
    assert.equal(status.status, 'done', status.error ?? '');
    // The rebuilt row differs from the damaged live one: marked pending, the sweep writes it, then the views are as before.
    await waitUntil(async () => (await spec())?.sha === sha('4'), { timeoutMs: 15_000, message: 'the CommitStatus written again from the rebuilt state' });
    await waitUntil(async () => JSON.stringify(await rows()) === JSON.stringify(before), { timeoutMs: 15_000, message: 'the views as the log says, nothing pending' });
  });

  it('answers 401 without a token, 404 for an unknown replay, 400 for a malformed id, 409 when views were written before the log kept their events', async () => {
    await request(svc.http).post('/api/admin/replay/commit-status').expect(401);
    const unknown = await request(svc.http).get(`/api/admin/replay/commit-status/${uuidv7()}`).set('Authorization', `Bearer ${ADMIN}`).expect(404);
    assert.equal(unknown.body.error.code, 'replay_not_found');
    await request(svc.http).get('/api/admin/replay/commit-status/not-a-uuid').set('Authorization', `Bearer ${ADMIN}`).expect(400);
    await svc.dataSource.query(`UPDATE commit_status.commit_status_views_log SET complete = false`);
    try {
      const refused = await request(svc.http).post('/api/admin/replay/commit-status').set('Authorization', `Bearer ${ADMIN}`).expect(409);
      assert.equal(refused.body.error.code, 'commit_status_views_log_incomplete');
    } finally {
      await svc.dataSource.query(`UPDATE commit_status.commit_status_views_log SET complete = true`);
    }
  });
});
