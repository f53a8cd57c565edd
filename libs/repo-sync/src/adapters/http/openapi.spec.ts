import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDocumentOf, operationsOf } from '@sluice/testing';
import { REPO_SYNC_OPENAPI, ReposController, SyncController } from './repos.controller';

describe('repo-sync OpenAPI document', () => {
  it('lists the catalogue and global sync routes with their statuses, behind bearer auth', async () => {
    const doc = await openApiDocumentOf([ReposController, SyncController], REPO_SYNC_OPENAPI);
    assert.deepEqual(operationsOf(doc), [
      'GET /api/admin/sync/{syncId} 200,400,401,403,404',
      'GET /api/repos 200,400,401',
      'GET /api/repos/{owner}/{name} 200,400,401,404',
      'GET /api/repos/{owner}/{name}/branches 200,400,401,404',
      'GET /api/repos/{owner}/{name}/commits/{sha} 200,400,401,404',
      'GET /api/repos/{owner}/{name}/configs 200,400,401,404',
      // A GitLab subgroup project's whole path, URL-encoded as one segment.
      'GET /api/repos/{path} 200,400,401,404',
      'GET /api/repos/{path}/branches 200,400,401,404',
      'GET /api/repos/{path}/commits/{sha} 200,400,401,404',
      'GET /api/repos/{path}/configs 200,400,401,404',
      'POST /api/admin/sync 202,401,403',
    ]);
    assert.equal(doc.info.title, 'Sluice repo-sync');
    assert.deepEqual(doc.components?.securitySchemes?.bearer, { scheme: 'bearer', bearerFormat: 'JWT', type: 'http' });
    for (const item of Object.values(doc.paths)) for (const operation of Object.values(item)) assert.deepEqual(operation.security, [{ bearer: [] }]);
    assert.ok((doc.paths['/api/repos/{owner}/{name}'].get?.responses['404'] as { content?: unknown }).content, 'errors carry the error body schema');
  });
});
