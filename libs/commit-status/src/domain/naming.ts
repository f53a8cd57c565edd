import { createHash } from 'node:crypto';
import type { ProviderKind } from './model';

/**
 * The GitRepo name Sluice uses for a repository it reports deploys on: a DNS-1123 name from
 * provider and path, hash-suffixed when it had to be shortened or changed (so two paths never
 * share a name).
 */
export function gitRepoNameFor(provider: ProviderKind, fullName: string): string {
  const raw = `${provider}-${fullName}`;
  const clean = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (clean === raw && clean.length <= 63) return clean;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  return `${clean.slice(0, 54).replace(/-$/, '')}-${hash}`;
}
