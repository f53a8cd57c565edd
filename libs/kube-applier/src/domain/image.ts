/**
 * Image references: `[registry[:port]/]path[:tag][@digest]`. The repository is everything
 * before the tag and digest; a `:` belongs to a tag only when it comes after the last `/`
 * (otherwise it is a registry port).
 */
export function imageRepository(image: string): string {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}


/** The image with `tag` when its repository is `repository`, else undefined (leave it alone). */
export function retag(image: string, repository: string, tag: string): string | undefined {
  return imageRepository(image) === imageRepository(repository) ? `${imageRepository(image)}:${tag}` : undefined;
}
