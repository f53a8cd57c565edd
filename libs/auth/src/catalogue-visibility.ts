import { z } from 'zod';
import type { Principal } from './principal';

/**
 * Who may read the repository catalogue and commit statuses (`SLUICE_CATALOGUE_VISIBILITY`):
 * `team` — a team token sees only the repositories of its own configs (each config's
 * repository and its `artifact.repo`); `installation` — every valid token sees every
 * repository the installation knows (the behaviour before issue 15). The admin sees all.
 */
export const catalogueVisibilitySetting = z
  .enum(['team', 'installation'], { error: 'expected team or installation' })
  .default('team');

export type CatalogueVisibility = z.output<typeof catalogueVisibilitySetting>;

/** Nest token of the `CatalogueVisibility` a service's read API applies. */
export const CATALOGUE_VISIBILITY = Symbol('CATALOGUE_VISIBILITY');

/** The team whose repositories `principal` may read, or null for every repository. */
export function catalogueTeamOf(principal: Principal, visibility: CatalogueVisibility): string | null {
  return principal.kind === 'team' && visibility === 'team' ? principal.team : null;
}
