import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenAPIObject } from '@nestjs/swagger';
import { mergeOpenApiDocuments, OpenApiConflictError } from './openapi';

const op = (summary: string) => ({ summary, responses: { 200: { description: '' } } });
const doc = (paths: OpenAPIObject['paths'], schemas: Record<string, object> = {}, tags: string[] = []): OpenAPIObject => ({
  openapi: '3.0.0',
  info: { title: 'part', version: '1' },
  paths,
  components: { schemas },
  tags: tags.map((name) => ({ name })),
});

describe('mergeOpenApiDocuments', () => {
  it('merges the paths, methods, schemas and tags of every part under one title with bearer auth', () => {
    const merged = mergeOpenApiDocuments({ title: 'Sluice' }, [
      { name: 'a', document: doc({ '/api/a': { get: op('list a') }, '/api/x': { get: op('get x') } }, { A: { type: 'string' } }, ['a']) },
      { name: 'b', document: doc({ '/api/b': { post: op('make b') }, '/api/x': { delete: op('drop x') } }, { A: { type: 'string' }, B: { type: 'integer' } }, ['b', 'a']) },
    ]);
    assert.equal(merged.info.title, 'Sluice');
    assert.match(merged.openapi, /^3\./);
    assert.deepEqual(Object.keys(merged.paths).sort(), ['/api/a', '/api/b', '/api/x']);
    assert.deepEqual(Object.keys(merged.paths['/api/x']).sort(), ['delete', 'get']);
    assert.deepEqual(merged.components?.schemas, { A: { type: 'string' }, B: { type: 'integer' } });
    assert.deepEqual(merged.tags?.map((t) => t.name), ['a', 'b']);
    assert.ok(merged.components?.securitySchemes?.bearer);
  });

  it('fails when two parts declare the same path and method, naming both', () => {
    assert.throws(
      () =>
        mergeOpenApiDocuments({ title: 'Sluice' }, [
          { name: 'repo-sync', document: doc({ '/api/repos': { get: op('one') } }) },
          { name: 'autodeploy', document: doc({ '/api/repos': { get: op('two') } }) },
        ]),
      (error) => error instanceof OpenApiConflictError && /GET \/api\/repos is declared by both repo-sync and autodeploy/.test(error.message),
    );
  });

  it('fails when two parts declare one schema name differently', () => {
    assert.throws(
      () =>
        mergeOpenApiDocuments({ title: 'Sluice' }, [
          { name: 'a', document: doc({}, { View: { type: 'string' } }) },
          { name: 'b', document: doc({}, { View: { type: 'integer' } }) },
        ]),
      OpenApiConflictError,
    );
  });

  it('keeps a shared path once, from the first part', () => {
    const merged = mergeOpenApiDocuments(
      { title: 'Sluice' },
      [
        { name: 'a', document: doc({ '/healthz': { get: op('from a') } }) },
        { name: 'b', document: doc({ '/healthz': { get: op('from b') } }) },
      ],
      { shared: (path) => path === '/healthz' },
    );
    assert.equal(merged.paths['/healthz'].get?.summary, 'from a');
  });
});
