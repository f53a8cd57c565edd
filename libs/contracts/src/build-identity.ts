/**
 * One build per (repository, commit, build key): GitHub names the same build differently
 * by source — a check run `Octocoders-linter`, its app's check suite `octocoders-linter` —
 * so names are compared without the case of ASCII letters. Only A–Z are folded: the same
 * fold is written in SQL (`buildKeySql`) and must agree byte for byte, which a
 * locale's lower-casing would not promise.
 */
export function buildKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** `buildKey` of a SQL text expression, for migrations and queries. */
export function buildKeySql(expression: string): string {
  return `translate(${expression}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;
}

/** Whether a deploy config's `artifact.build` (null: any build) names this build. */
export function buildMatches(artifactBuild: string | null, buildName: string): boolean {
  return artifactBuild === null || buildKey(artifactBuild) === buildKey(buildName);
}
