import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDocumentOf, operationsOf } from '@sluice/testing';
import { COMMIT_STATUS_OPENAPI, CommitStatusesController } from './commit-statuses.controller';

describe('commit-status OpenAPI document', () => {
  it('lists GET /api/commit-statuses with its query and statuses, behind bearer auth', async () => {
    const doc = await openApiDocumentOf([CommitStatusesController], COMMIT_STATUS_OPENAPI);
    assert.deepEqual(operationsOf(doc), ['GET /api/commit-statuses 200,400,401,404']);
    const list = doc.paths['/api/commit-statuses'].get!;
    assert.deepEqual(list.security, [{ bearer: [] }]);
    assert.deepEqual(list.parameters?.map((p) => 'name' in p && `${p.name} ${p.in} ${p.required}`).sort(), ['repo query true', 'sha query false']);
    assert.equal(doc.info.title, 'Sluice commit-status');
  });
});
