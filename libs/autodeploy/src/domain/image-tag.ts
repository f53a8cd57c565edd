const SHORT_SHA_LENGTH = 7;

// The image tag rule itself is the contract's: `imageTag` in @sluice/contracts.

/** `1a2b3c4…` — how SHAs are named in messages. */
export function shortSha(sha: string | null): string {
  return sha === null ? 'null' : `${sha.slice(0, SHORT_SHA_LENGTH)}…`;
}
