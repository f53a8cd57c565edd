import { ImageReferenceError, ImageRegistries, parseImageReference, RegistryCredentialsError, RegistryRequestError, type ImageRegistrySettings } from '@sluice/image-registry';
import type { ImageCheck, ImageVerdict } from '../application/ports';

/**
 * Step check-image (docs/architecture.md §1 "Steps") against the image's real registry (OCI
 * distribution API, `@sluice/image-registry`), for the registries named in
 * `KUBE_APPLIER_IMAGE_CHECK` (`*`: all); any other is left unchecked, saying so.
 */
export class RegistryImageCheck implements ImageCheck {
  constructor(
    private readonly registries: ImageRegistries,
    /** Registry hosts (as image references name them) to check, or `*`. */
    private readonly hosts: readonly string[],
  ) {}

  static fromSettings(settings: ImageRegistrySettings & { KUBE_APPLIER_IMAGE_CHECK?: readonly string[] }): RegistryImageCheck | null {
    const hosts = settings.KUBE_APPLIER_IMAGE_CHECK ?? [];
    return hosts.length ? new RegistryImageCheck(ImageRegistries.fromSettings(settings), hosts) : null;
  }

  async check(image: string, tag: string): Promise<ImageVerdict> {
    let registry: string;
    try {
      registry = parseImageReference(image).registry;
    } catch (error) {
      if (error instanceof ImageReferenceError) return { kind: 'error', message: error.message };
      throw error;
    }
    if (!this.hosts.includes('*') && !this.hosts.includes(registry)) return { kind: 'unchecked', why: `image check off for ${registry} (KUBE_APPLIER_IMAGE_CHECK)` };
    try {
      const found = await this.registries.manifestExists(image, tag);
      if (found.exists) return { kind: 'found', digest: found.digest };
      return { kind: 'missing', message: `${image}:${tag} is not in the registry (${registry} has no manifest for tag ${tag}): push the image, or deploy a tag that exists` };
    } catch (error) {
      if (error instanceof RegistryCredentialsError || error instanceof RegistryRequestError || error instanceof ImageReferenceError) {
        return { kind: 'error', message: `cannot tell whether ${image}:${tag} exists: ${error.message}` };
      }
      throw error;
    }
  }
}
