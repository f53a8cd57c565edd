import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { dashboardHandler, isDashboardPath } from './dashboard';

describe('the dashboard the all-in-one serves at /', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-dashboard-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the app’s pages and files only: the API, webhooks, chat, health paths and unknown paths stay the API’s', () => {
    for (const path of ['/', '/index.html', '/assets/index-abc.js', '/configs/billing-api', '/deploys/0193-x', '/events', '/commit-statuses', '/auth/callback']) assert.ok(isDashboardPath('GET', path), path);
    assert.ok(isDashboardPath('HEAD', '/'));
    for (const path of ['/api/configs', '/api', '/webhooks/github', '/chat/slack', '/healthz', '/readyz', '/metrics', '/nothing', '/configs', '/configs/a/b', '/auth', '/auth/other']) assert.ok(!isDashboardPath('GET', path), path);
    assert.ok(!isDashboardPath('POST', '/'), 'only reads');
  });

  it('says how to build it while it is not built', async () => {
    const res = await request(dashboardHandler(join(dir, 'missing'))).get('/');
    assert.equal(res.status, 200);
    assert.match(res.text, /npm run build:dashboard/);
  });

  it('serves the built files, and index.html for the app’s pages, with a content security policy', async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    const app = dashboardHandler(dir);
    const index = await request(app).get('/');
    assert.equal(index.status, 200);
    assert.equal(index.text, '<div id="root"></div>');
    assert.match(index.headers['content-security-policy'] ?? '', /default-src 'self'; connect-src 'self';/, 'nothing but this origin without OpenID Connect');
    assert.equal(index.headers['cache-control'], 'no-cache');
    const page = await request(app).get('/configs/billing-api');
    assert.equal(page.status, 200);
    assert.equal(page.text, '<div id="root"></div>');
    const asset = await request(app).get('/assets/index-abc.js');
    assert.equal(asset.status, 200);
    assert.match(asset.headers['cache-control'] ?? '', /immutable/);
    assert.equal((await request(app).get('/assets/gone.js')).status, 404, 'a missing asset is not the app');
  });

  it('lets the browser reach the OpenID Connect provider only when sign-in through it is set up', async () => {
    const app = dashboardHandler(dir, { oidcIssuer: 'https://login.acme.dev/realms/acme' });
    const csp = (await request(app).get('/')).headers['content-security-policy'] ?? '';
    assert.match(csp, /connect-src 'self' https:\/\/login\.acme\.dev https:;/);
  });
});
