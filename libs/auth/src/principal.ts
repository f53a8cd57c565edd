/** Who a bearer token belongs to: the admin (every team) or one team. */
export type Principal = { readonly kind: 'admin' } | { readonly kind: 'team'; readonly team: string };

/** The subject recorded as `requestedBy`/`by`: `admin` or `team:<team>`. */
export function subjectOf(principal: Principal): string {
  return principal.kind === 'admin' ? 'admin' : `team:${principal.team}`;
}

/** The team a principal may act for; null = every team (admin). */
export function teamOf(principal: Principal): string | null {
  return principal.kind === 'admin' ? null : principal.team;
}
