// Issue 8, "Prove it", all-in-one mode: the app as `npm start` runs it (apps/sluice/src/main.ts)
// with its embedded defaults — PGlite under SLUICE_DATA_DIR, the in-process bus, a generated
// admin token — against the real kube-apiserver and the fake GitHub.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { defineFlow } from './support/flow';
import { Scenario } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { startWorld, type World } from './support/world';

describe('Sluice all-in-one, end to end', { timeout: 420_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;

  before(async () => {
    world = await startWorld('all-in-one');
    sluice = await startAllInOneApp(world);
    scenario = new Scenario(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('serves one OpenAPI 3 document of every service at /api/docs-json', async () => {
    const res = await fetch(`${sluice.urlFor('/api/docs-json')}/api/docs-json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    for (const path of ['/api/repos', '/api/admin/sync', '/api/configs', '/api/deploys', '/api/commit-statuses', '/webhooks/{provider}', '/api/deploys/{id}/manifests', '/api/configs/{name}/manifests']) {
      assert.ok(doc.paths[path], `OpenAPI path ${path}`);
    }
    assert.match(doc.openapi, /^3\./);
    await SwaggerParser.validate(structuredClone(doc) as unknown as Parameters<typeof SwaggerParser.validate>[0]);
  });

  defineFlow(() => scenario, {
    // The whole process dies mid-deploy and starts again on the same data directory: the
    // embedded database, the outbox and the inboxes carry the flow to its end.
    crashDuringDeploy: async () => {
      await sluice.process.kill9();
      sluice.process.start();
      await sluice.process.waitReady(180_000);
    },
    appliedStatusAfterCrash: false,
  });
});
