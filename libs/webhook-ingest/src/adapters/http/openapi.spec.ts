import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDocumentOf, operationsOf } from '@sluice/testing';
import { WebhookController, WEBHOOK_INGEST_OPENAPI } from './webhook.controller';

describe('webhook-ingest OpenAPI document', () => {
  it('lists POST /webhooks/{provider} with its headers and statuses; signed, not bearer', async () => {
    const doc = await openApiDocumentOf([WebhookController], WEBHOOK_INGEST_OPENAPI);
    assert.deepEqual(operationsOf(doc), ['POST /webhooks/{provider} 202,400,401,404,413,415,429,503']);
    const receive = doc.paths['/webhooks/{provider}'].post!;
    assert.deepEqual(
      receive.parameters?.map((p) => 'name' in p && `${p.in} ${p.name}`).sort(),
      [
        'header Idempotency-Key',
        'header X-Event-Key',
        'header X-GitHub-Delivery',
        'header X-GitHub-Event',
        'header X-Gitlab-Event',
        'header X-Gitlab-Event-UUID',
        'header X-Gitlab-Token',
        'header X-Hub-Signature',
        'header X-Hub-Signature-256',
        'header X-Request-UUID',
        'path provider',
      ],
    );
    assert.equal(receive.security, undefined, 'a webhook is verified by its signature');
    assert.ok(doc.components?.securitySchemes?.bearer, 'the document still declares bearer auth');
  });
});
