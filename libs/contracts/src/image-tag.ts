/** Docker's limit on a tag's length. */
const MAX_TAG_LENGTH = 128;
const SHORT_SHA_LENGTH = 7;

/**
 * The image tag of docs/architecture.md §1: `<branch>-<shortsha>`, every character of the
 * branch outside `[A-Za-z0-9_.-]` replaced by `-`, shortsha = the first 7 characters of the
 * SHA. A branch so long that the tag would pass Docker's 128-character limit is cut in its
 * branch part (such branches would otherwise produce an unusable tag).
 */
export function imageTag(branch: string, sha: string): string {
  const suffix = `-${sha.slice(0, SHORT_SHA_LENGTH)}`;
  const safeBranch = branch.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, MAX_TAG_LENGTH - suffix.length);
  return `${safeBranch}${suffix}`;
}
