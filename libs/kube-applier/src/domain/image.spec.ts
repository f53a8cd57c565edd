import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { imageRepository, retag } from './image';

describe('image references', () => {
  it('strips tag and digest but keeps a registry port', () => {
    assert.equal(imageRepository('ghcr.io/acme/billing:1.2'), 'ghcr.io/acme/billing');
    assert.equal(imageRepository('ghcr.io/acme/billing@sha256:abc'), 'ghcr.io/acme/billing');
    assert.equal(imageRepository('ghcr.io/acme/billing:1.2@sha256:abc'), 'ghcr.io/acme/billing');
    assert.equal(imageRepository('registry:5000/acme/billing'), 'registry:5000/acme/billing');
    assert.equal(imageRepository('registry:5000/acme/billing:v1'), 'registry:5000/acme/billing');
  });

  it('retags only the artifact image, dropping a digest', () => {
    assert.equal(retag('ghcr.io/acme/billing@sha256:abc', 'ghcr.io/acme/billing', 'main-1a2b3c4'), 'ghcr.io/acme/billing:main-1a2b3c4');
    assert.equal(retag('ghcr.io/acme/billing-worker:1', 'ghcr.io/acme/billing', 'main-1a2b3c4'), undefined);
    assert.equal(retag('nginx:1.27', 'ghcr.io/acme/billing', 'x'), undefined);
  });
});
