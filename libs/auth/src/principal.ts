/**
 * Who a request acts for: the admin (every team) or one team — by a Sluice token, or as a
 * person signed in with OpenID Connect (`person`: the username claim of their ID token).
 */
export type Principal = { readonly kind: 'admin'; readonly person?: string } | { readonly kind: 'team'; readonly team: string; readonly person?: string };

/** The subject recorded as `requestedBy`/`by`: `user:<person>` for a signed-in person, else `admin` or `team:<team>`. */
export function subjectOf(principal: Principal): string {
  if (principal.person) return `user:${principal.person}`;
  return principal.kind === 'admin' ? 'admin' : `team:${principal.team}`;
}

/** The team a principal may act for; null = every team (admin). */
export function teamOf(principal: Principal): string | null {
  return principal.kind === 'admin' ? null : principal.team;
}
