import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDocumentOf, operationsOf } from '@sluice/testing';
import { KUBE_APPLIER_OPENAPI, ManifestsController } from './manifests.controller';
import { KubeApplierAdminController } from './admin.controller';

describe('kube-applier OpenAPI document', () => {
  it('lists the manifests routes with their statuses, behind bearer auth', async () => {
    const doc = await openApiDocumentOf([ManifestsController], KUBE_APPLIER_OPENAPI);
    assert.deepEqual(operationsOf(doc), [
      'GET /api/configs/{name}/manifests 200,400,401,403,404',
      'GET /api/deploys/{id}/manifests 200,400,401,403,404',
    ]);
    for (const item of Object.values(doc.paths)) assert.deepEqual(item.get?.security, [{ bearer: [] }]);
    assert.equal(doc.info.title, 'Sluice kube-applier');
  });

  it('lists the replay of its views under /api/admin/replay/kube-applier (beside autodeploy\'s /api/admin/replay), behind bearer auth', async () => {
    const doc = await openApiDocumentOf([KubeApplierAdminController], KUBE_APPLIER_OPENAPI);
    assert.deepEqual(operationsOf(doc), ['GET /api/admin/replay/kube-applier/{id} 200,400,401,403,404', 'POST /api/admin/replay/kube-applier 202,401,403']);
    for (const item of Object.values(doc.paths)) assert.deepEqual((item.get ?? item.post)?.security, [{ bearer: [] }]);
  });
});
