import { ImageReferenceError } from './errors';

/**
 * Where an image lives, normalised as Docker does (distribution's reference package,
 * ParseNormalizedNamed): a first path component that has a `.` or a `:`, or is `localhost`,
 * names the registry; anything else is a Docker Hub repository, where a one-component name
 * is an official image under `library/`.
 */
export interface ImageReference {
  /** The registry as people write it: `docker.io`, `ghcr.io`, `127.0.0.1:55001`. */
  readonly registry: string;
  /** `host[:port]` the API is called on: `registry-1.docker.io` for Docker Hub, else `registry`. */
  readonly apiHost: string;
  /** The repository path in the registry: `acme/billing`, `library/nginx`. */
  readonly repository: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_API]);

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]{1,5})?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const MAX_NAME_LENGTH = 255;

/**
 * `ghcr.io/acme/billing`, `127.0.0.1:55001/acme/billing`, `docker.io/library/nginx`, `nginx`
 * (→ docker.io, `library/nginx`). The tag is not part of it: a reference with `:tag` or
 * `@digest` is refused, so that a caller cannot check one tag while deploying another.
 */
export function parseImageReference(ref: string): ImageReference {
  const input = ref.trim();
  if (input === '') throw new ImageReferenceError('the image reference is empty');
  const lastSlash = input.lastIndexOf('/');
  if (input.includes('@') || input.slice(lastSlash + 1).includes(':')) {
    throw new ImageReferenceError(`image reference ${JSON.stringify(ref)} has a tag or digest; give the repository alone and the tag separately`);
  }
  const firstSlash = input.indexOf('/');
  const first = firstSlash < 0 ? '' : input.slice(0, firstSlash);
  const namesRegistry = firstSlash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let registry = namesRegistry ? first : DOCKER_HUB;
  let repository = namesRegistry ? input.slice(firstSlash + 1) : input;
  if (namesRegistry && !DOMAIN.test(registry)) throw new ImageReferenceError(`image reference ${JSON.stringify(ref)}: ${JSON.stringify(registry)} is not a registry host[:port]`);
  if (DOCKER_HUB_ALIASES.has(registry.toLowerCase())) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw new ImageReferenceError(
        `image reference ${JSON.stringify(ref)}: repository ${JSON.stringify(repository)} must be lowercase path components of letters and digits separated by ".", "_", "__" or "-"`,
      );
    }
  }
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) throw new ImageReferenceError(`image reference ${JSON.stringify(ref)} is longer than ${MAX_NAME_LENGTH} characters`);
  return { registry, apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry, repository };
}

/** A tag (`v1.2.3`, `main-1a2b3c4`) or a digest (`sha256:…`), as the manifests endpoint takes it. */
export function assertManifestReference(tag: string): void {
  if (!TAG.test(tag) && !DIGEST.test(tag)) {
    throw new ImageReferenceError(`${JSON.stringify(tag)} is not a valid tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-") nor a digest`);
  }
}

/** Whether `value` is a digest (`algorithm:hex`) as registries return in Docker-Content-Digest. */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** The other spellings a registry's credentials may be keyed by (Docker Hub has three names). */
export function hostAliases(ref: ImageReference): readonly string[] {
  return ref.registry === DOCKER_HUB ? [...DOCKER_HUB_ALIASES] : [ref.registry];
}
