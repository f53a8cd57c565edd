// The registry of the test infrastructure (infra/registry.sh), and images pushed to it with plain
// HTTP as a `docker push` does: blob uploads, then a manifest. For tests only.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { parseChallenges } from './challenge';
import { MANIFEST_MEDIA_TYPES } from './image-registries';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run under infra/with-infra.sh (npm test), or bash infra/test-env.sh && source /tmp/dev-infra/env`);
  return value;
}

export const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export class TestRegistry {
  readonly url = new URL(requiredEnv('SLUICE_REGISTRY_URL'));
  readonly user = requiredEnv('SLUICE_REGISTRY_USER');
  readonly password = requiredEnv('SLUICE_REGISTRY_PASSWORD');
  /** `host:port`, as image references name the registry. */
  readonly host = this.url.host;
  /** `SLUICE_REGISTRY_CREDENTIALS` for this registry. */
  readonly credentials = { [this.host]: { username: this.user, password: this.password } };

  /** A push token for `repository` from the realm the registry names, as a docker client gets one. */
  async pushToken(repository: string): Promise<string> {
    const probe = await fetch(new URL('/v2/', this.url));
    await probe.body?.cancel();
    const challenge = parseChallenges(probe.headers.get('www-authenticate'))[0];
    if (challenge?.scheme !== 'bearer') throw new Error('the registry does not challenge for a Bearer token');
    const realm = new URL(challenge.params.realm);
    realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', `repository:${repository}:pull,push`);
    const res = await fetch(realm, { headers: { Authorization: `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}` } });
    if (res.status !== 200) throw new Error(`the token server refused a push token: ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  }

  async uploadBlob(repository: string, token: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256(bytes);
    const start = await fetch(new URL(`/v2/${repository}/blobs/uploads/`, this.url), { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    await start.body?.cancel();
    if (start.status !== 202) throw new Error(`blob upload not started: ${start.status}`);
    const location = new URL(start.headers.get('location')!, this.url);
    location.searchParams.set('digest', digest);
    const done = await fetch(location, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
      body: bytes,
    });
    await done.body?.cancel();
    if (done.status !== 201) throw new Error(`blob upload not finished: ${done.status}`);
    return { digest, size: bytes.length };
  }

  async putManifest(repository: string, token: string, tag: string, mediaType: string, manifest: object): Promise<{ digest: string; size: number }> {
    const body = JSON.stringify(manifest);
    const res = await fetch(new URL(`/v2/${repository}/manifests/${tag}`, this.url), { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': mediaType }, body });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`manifest ${tag} not pushed: ${res.status} ${text}`);
    if (res.headers.get('docker-content-digest') !== sha256(body)) throw new Error(`manifest ${tag}: the registry's digest differs from the body's`);
    return { digest: sha256(body), size: Buffer.byteLength(body) };
  }

  /** A one-layer image (an empty tar) pushed as `repository:tag` with an OCI image manifest; its digest. */
  async pushImage(repository: string, tag: string): Promise<string> {
    const token = await this.pushToken(repository);
    const tar = Buffer.alloc(1024);
    const layer = await this.uploadBlob(repository, token, gzipSync(tar));
    const config = await this.uploadBlob(repository, token, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } })));
    const manifest = await this.putManifest(repository, token, tag, MANIFEST_MEDIA_TYPES.ociManifest, {
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    });
    return manifest.digest;
  }
}
