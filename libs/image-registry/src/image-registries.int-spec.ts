import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { RegistryCredentialsError, RegistryRequestError } from './errors';
import { ImageRegistries, MANIFEST_MEDIA_TYPES, type ImageRegistriesOptions } from './image-registries';
import { sha256, TestRegistry } from './testing';

/*
 * Against the real registry of the test infrastructure (infra/registry.sh: the CNCF
 * distribution registry with token auth). Images are pushed here with plain HTTP, as a
 * `docker push` does: blob uploads, then manifests.
 */

const registry = new TestRegistry();
const { user, password, host, credentials } = registry;
const repository = `acme/billing-${randomBytes(4).toString('hex')}`;
const imageRef = `${host}/${repository}`;
const pushToken = () => registry.pushToken(repository);
const uploadBlob = (token: string, bytes: Buffer) => registry.uploadBlob(repository, token, bytes);
const putManifest = (token: string, tag: string, mediaType: string, manifest: object) => registry.putManifest(repository, token, tag, mediaType, manifest);

/** A port nobody listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ImageRegistries against a real registry with token auth', () => {
  const pushed: Record<string, { digest: string; size: number }> = {};
  const logs: unknown[] = [];
  const logger = { warn: (obj: object, msg: string) => logs.push({ obj, msg }), debug: (obj: object, msg: string) => logs.push({ obj, msg }) };
  const noSleep = { sleep: async () => undefined };
  const registries = (options: ImageRegistriesOptions = {}) => new ImageRegistries({ credentials, logger, ...noSleep, ...options });

  before(async () => {
    const token = await pushToken();
    // An empty tar archive (two zero blocks), gzipped: a valid layer.
    const tar = Buffer.alloc(1024);
    const layer = await uploadBlob(token, gzipSync(tar));
    const config = await uploadBlob(token, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } })));
    pushed.oci = await putManifest(token, 'v1', MANIFEST_MEDIA_TYPES.ociManifest, {
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    });
    pushed.docker = await putManifest(token, 'v1-docker', MANIFEST_MEDIA_TYPES.dockerManifest, {
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.dockerManifest,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...layer }],
    });
    const platform = { architecture: 'amd64', os: 'linux' };
    pushed.ociIndex = await putManifest(token, 'v1-multi', MANIFEST_MEDIA_TYPES.ociIndex, {
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.ociIndex,
      manifests: [{ mediaType: MANIFEST_MEDIA_TYPES.ociManifest, ...pushed.oci, platform }],
    });
    pushed.dockerList = await putManifest(token, 'v1-docker-multi', MANIFEST_MEDIA_TYPES.dockerManifestList, {
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.dockerManifestList,
      manifests: [{ mediaType: MANIFEST_MEDIA_TYPES.dockerManifest, ...pushed.docker, platform }],
    });
  });

  after(() => {
    // Nothing the client logged may carry the password or a token.
    const logged = JSON.stringify(logs);
    assert.ok(!logged.includes(password), 'no password in the logs');
    assert.ok(!/Bearer|eyJ/.test(logged), 'no token in the logs');
  });

  it('finds a tag pushed with an OCI image manifest, with the digest the push got', async () => {
    assert.deepEqual(await registries().manifestExists(imageRef, 'v1'), { exists: true, digest: pushed.oci.digest, mediaType: MANIFEST_MEDIA_TYPES.ociManifest });
  });

  it('finds a tag pushed with a Docker v2 manifest', async () => {
    assert.deepEqual(await registries().manifestExists(imageRef, 'v1-docker'), {
      exists: true,
      digest: pushed.docker.digest,
      mediaType: MANIFEST_MEDIA_TYPES.dockerManifest,
    });
  });

  it('finds multi-platform tags: an OCI index and a Docker manifest list', async () => {
    const client = registries();
    assert.deepEqual(await client.manifestExists(imageRef, 'v1-multi'), { exists: true, digest: pushed.ociIndex.digest, mediaType: MANIFEST_MEDIA_TYPES.ociIndex });
    assert.deepEqual(await client.manifestExists(imageRef, 'v1-docker-multi'), {
      exists: true,
      digest: pushed.dockerList.digest,
      mediaType: MANIFEST_MEDIA_TYPES.dockerManifestList,
    });
  });

  it('finds a manifest by digest', async () => {
    const found = await registries().manifestExists(imageRef, pushed.oci.digest);
    assert.equal(found.exists && found.digest, pushed.oci.digest);
  });

  it('answers exists false with 404 for a missing tag and for a missing repository', async () => {
    const client = registries();
    assert.deepEqual(await client.manifestExists(imageRef, 'no-such-tag'), { exists: false, status: 404 });
    assert.deepEqual(await client.manifestExists(`${host}/acme/never-pushed-${randomBytes(3).toString('hex')}`, 'v1'), { exists: false, status: 404 });
  });

  it('asks the token server once per repository while the token lasts, and again once it has expired', async () => {
    const calls: string[] = [];
    let now = Date.now();
    const client = registries({
      now: () => now,
      fetch: (input, init) => {
        const url = new URL(input instanceof Request ? input.url : input.toString());
        calls.push(`${init?.method ?? 'GET'} ${url.pathname}`);
        return fetch(input, init);
      },
    });
    const manifest = `HEAD /v2/${repository}/manifests/v1`;
    await client.manifestExists(imageRef, 'v1');
    assert.deepEqual(calls, [manifest, 'GET /token', manifest], 'challenge, token, answer');
    calls.length = 0;
    await client.manifestExists(imageRef, 'v1-docker');
    await client.manifestExists(imageRef, 'v1');
    assert.deepEqual(calls, [`HEAD /v2/${repository}/manifests/v1-docker`, manifest], 'the cached token is sent at once');
    calls.length = 0;
    now += 300_000; // the token server's expires_in
    await client.manifestExists(imageRef, 'v1');
    assert.deepEqual(calls, [manifest, 'GET /token', manifest], 'an expired token is not sent');
  });

  it('refuses a wrong password with RegistryCredentialsError naming the host, not the password', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const client = registries({ credentials: { [host]: { username: user, password: wrong } } });
    await assert.rejects(client.manifestExists(imageRef, 'v1'), (err: unknown) => {
      assert.ok(err instanceof RegistryCredentialsError);
      assert.equal(err.host, host);
      assert.equal(err.status, 401);
      assert.equal(err.anonymous, false);
      assert.match(err.message, new RegExp(`credentials for ${host.replace(/\./g, '\\.')} were refused`));
      assert.ok(!err.message.includes(wrong));
      return true;
    });
  });

  it('refuses anonymous access to the token-auth registry with RegistryCredentialsError', async () => {
    const client = registries({ credentials: {} });
    await assert.rejects(client.manifestExists(imageRef, 'v1'), (err: unknown) => {
      assert.ok(err instanceof RegistryCredentialsError);
      assert.equal(err.anonymous, true);
      assert.match(err.message, /refused anonymous access .* no credentials are configured for/);
      return true;
    });
  });

  it('retries a network error and a 503 with jittered, growing backoff, then answers', async () => {
    const delays: number[] = [];
    let heads = 0;
    const client = registries({
      sleep: async (ms) => void delays.push(ms),
      random: () => 1,
      fetch: async (input, init) => {
        if (init?.method === 'HEAD' && ++heads <= 2) {
          if (heads === 1) throw new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
          return new Response(null, { status: 503 });
        }
        return fetch(input, init);
      },
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
    });
    assert.deepEqual(await client.manifestExists(imageRef, 'v1'), { exists: true, digest: pushed.oci.digest, mediaType: MANIFEST_MEDIA_TYPES.ociManifest });
    assert.deepEqual(delays, [100, 200]);
    assert.ok(logs.some((l) => JSON.stringify(l).includes('ECONNRESET')), 'the retry was logged with its reason');
  });

  it('gives up on a registry that refuses connections with a transient RegistryRequestError after the attempts', async () => {
    const delays: number[] = [];
    const client = registries({ sleep: async (ms) => void delays.push(ms), retry: { attempts: 3 } });
    const port = await closedPort();
    await assert.rejects(client.manifestExists(`127.0.0.1:${port}/acme/billing`, 'v1'), (err: unknown) => {
      assert.ok(err instanceof RegistryRequestError);
      assert.equal(err.status, 0);
      assert.equal(err.transient, true);
      assert.match(err.message, /ECONNREFUSED \(3 attempts\)/);
      return true;
    });
    assert.equal(delays.length, 2);
  });

  it('times out a registry that takes the connection and never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const client = registries({ timeoutMs: 200, retry: { attempts: 2 } });
      const started = Date.now();
      await assert.rejects(client.manifestExists(`127.0.0.1:${port}/acme/billing`, 'v1'), (err: unknown) => {
        assert.ok(err instanceof RegistryRequestError);
        assert.equal(err.transient, true);
        assert.match(err.message, /no answer within 200 ms \(2 attempts\)/);
        return true;
      });
      assert.ok(Date.now() - started < 5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
