import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImageReferenceError } from './errors';
import { assertManifestReference, parseImageReference } from './image-reference';

describe('parseImageReference', () => {
  it('takes a first component with a dot as the registry host', () => {
    assert.deepEqual(parseImageReference('ghcr.io/acme/billing'), { registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'acme/billing' });
  });

  it('takes a first component with a port as the registry host:port', () => {
    assert.deepEqual(parseImageReference('127.0.0.1:55001/acme/billing'), { registry: '127.0.0.1:55001', apiHost: '127.0.0.1:55001', repository: 'acme/billing' });
    assert.deepEqual(parseImageReference('registry.internal:5000/team/app/api'), {
      registry: 'registry.internal:5000',
      apiHost: 'registry.internal:5000',
      repository: 'team/app/api',
    });
  });

  it('takes localhost as a registry, with or without a port', () => {
    assert.equal(parseImageReference('localhost/acme/billing').registry, 'localhost');
    assert.equal(parseImageReference('localhost:5000/billing').repository, 'billing');
  });

  it('calls Docker Hub on registry-1.docker.io and puts one-component names under library/', () => {
    const hub = { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/nginx' };
    assert.deepEqual(parseImageReference('nginx'), hub);
    assert.deepEqual(parseImageReference('docker.io/library/nginx'), hub);
    assert.deepEqual(parseImageReference('docker.io/nginx'), hub);
    assert.deepEqual(parseImageReference('index.docker.io/library/nginx'), hub);
  });

  it('reads a first component without dot, colon or capital as a Docker Hub namespace', () => {
    assert.deepEqual(parseImageReference('acme/billing'), { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'acme/billing' });
  });

  it('accepts the separators of the distribution grammar in path components', () => {
    assert.equal(parseImageReference('ghcr.io/acme/billing-api_v2.x__y').repository, 'acme/billing-api_v2.x__y');
  });

  it('refuses a reference that carries a tag or digest, so the tag is given once', () => {
    assert.throws(() => parseImageReference('ghcr.io/acme/billing:v1'), ImageReferenceError);
    assert.throws(() => parseImageReference('nginx:1.27'), /tag or digest/);
    assert.throws(() => parseImageReference(`nginx@sha256:${'a'.repeat(64)}`), /tag or digest/);
  });

  it('refuses upper case, empty components, bad separators and bad hosts', () => {
    for (const bad of ['', '  ', 'ghcr.io/Acme/billing', 'ghcr.io//billing', 'ghcr.io/acme/-billing', 'ghcr.io/acme/billing.', 'ghcr.io/', '-bad.io/acme/x', 'ghcr.io/acme/bil ling']) {
      assert.throws(() => parseImageReference(bad), ImageReferenceError, bad);
    }
  });

  it('refuses a name longer than 255 characters', () => {
    assert.throws(() => parseImageReference(`ghcr.io/acme/${'a'.repeat(250)}`), /longer than 255/);
  });
});

describe('assertManifestReference', () => {
  it('accepts tags and digests', () => {
    for (const ok of ['v1', 'main-1a2b3c4', '1.27.0', 'latest', '_x', `sha256:${'0'.repeat(64)}`]) assert.doesNotThrow(() => assertManifestReference(ok), ok);
  });

  it('refuses what the manifests endpoint would not take as a tag', () => {
    for (const bad of ['', '-v1', '.v1', 'v1/x', 'a'.repeat(129), 'v 1', 'sha256:short']) {
      assert.throws(() => assertManifestReference(bad), ImageReferenceError, bad);
    }
  });
});
