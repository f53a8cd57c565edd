// Issue 16, fault 7: errors a user can act on, in one style, through the all-in-one app as
// `npm start` runs it (one port routing by path to every service's own Nest app). The order
// of answers: 404/405 (routing) before 401 (authentication), 401 before 415 (the body's
// type), 415 before 400 (the body's content).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { startWorld, type World } from './support/world';

interface Answer {
  readonly status: number;
  readonly allow: string | null;
  readonly contentType: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

async function call(url: string, init: { method?: string; token?: string; contentType?: string; body?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  if (init.contentType) headers['content-type'] = init.contentType;
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, allow: res.headers.get('allow'), contentType: res.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

describe('errors a user can act on, through the all-in-one app', () => {
  let world: World;
  let sluice: AllInOneApp;

  before(async () => {
    world = await startWorld('errors');
    sluice = await startAllInOneApp(world);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('answers a wrong method with 405 and Allow on the routes of every service, before authentication', async () => {
    const cases: Array<[method: string, path: string, allow: string]> = [
      ['GET', '/webhooks/github', 'POST'], // webhook-ingest
      ['POST', '/api/repos', 'GET, HEAD'], // repo-sync
      ['GET', '/api/admin/sync', 'POST'], // repo-sync
      ['DELETE', '/api/commit-statuses', 'GET, HEAD'], // commit-status
      ['PUT', '/api/configs/billing-api', 'GET, HEAD'], // autodeploy
      ['POST', '/api/configs/billing-api/manifests', 'GET, HEAD'], // kube-applier
      ['POST', '/healthz', 'GET, HEAD'], // the all-in-one itself
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(`${sluice.process.url}${path}`, { method });
      assert.equal(res.status, 405, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.allow, allow, `${method} ${path}`);
      assert.deepEqual(res.body, {
        error: { code: 'method_not_allowed', message: `${method} is not allowed on ${path}; allowed: ${allow}`, details: { allow: allow.split(', ') } },
      });
    }
  });

  it('answers every unknown path with the one 404 body, whichever service or the router itself takes it', async () => {
    for (const path of ['/nothing', '/api/nothing', '/api/repos/acme/billing/nothing', '/api/docs/nothing.css', '/webhooks/github/nothing']) {
      const res = await call(`${sluice.process.url}${path}?x=1`);
      assert.equal(res.status, 404, path);
      assert.match(res.contentType ?? '', /^application\/json/, path);
      assert.deepEqual(res.body, { error: { code: 'not_found', message: `no route for GET ${path}` } }, path);
    }
  });

  it('answers a JSON body sent without content-type: application/json with 415 on the routes of autodeploy and webhook-ingest, after authentication', async () => {
    const json = JSON.stringify({ team: 'payments' });
    const tokens = await call(`${sluice.process.url}/api/admin/tokens`, { method: 'POST', token: sluice.adminToken, contentType: 'application/x-www-form-urlencoded', body: json });
    assert.equal(tokens.status, 415, JSON.stringify(tokens.body));
    assert.equal(tokens.body.error.code, 'unsupported_media_type');
    assert.match(tokens.body.error.message, /content-type: application\/json/);
    const policy = await call(`${sluice.process.url}/api/admin/teams/payments/policy`, { method: 'PUT', token: sluice.adminToken, contentType: 'text/plain', body: '{"repositories":["*"]}' });
    assert.equal(policy.status, 415, JSON.stringify(policy.body));
    // webhook-ingest: GitHub's other content type, with the headers of a delivery.
    const webhook = await fetch(`${sluice.process.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: `payload=${encodeURIComponent(json)}`,
    });
    assert.equal(webhook.status, 415);
    assert.match(((await webhook.json()) as { error: { message: string } }).error.message, /content-type: application\/json/);
    // Without a token: authentication first.
    assert.equal((await call(`${sluice.process.url}/api/admin/tokens`, { method: 'POST', contentType: 'text/plain', body: json })).status, 401);
    // The same body as JSON is read, and a team that is not a DNS label is refused by name.
    const bad = await call(`${sluice.process.url}/api/admin/tokens`, { method: 'POST', token: sluice.adminToken, contentType: 'application/json', body: JSON.stringify({ team: 'Pay!ments/../x' }) });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^body\.team: a team name is a DNS label/);
  });
});
