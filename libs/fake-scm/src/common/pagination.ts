import { FakeHttpError } from './types';

export interface PageRequest {
  readonly page: number;
  readonly perPage: number;
}

export interface PageOptions {
  readonly defaultPerPage?: number;
  readonly maxPerPage?: number;
  readonly pageParam?: string;
  readonly perPageParam?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly page: number;
  readonly perPage: number;
  readonly total: number;
  readonly lastPage: number;
}

function positiveInt(raw: string | null, name: string, fallback: number): number {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new FakeHttpError(400, { message: `${name} must be a positive integer` });
  return n;
}

/** Reads page/per_page (GitHub and GitLab defaults: 30 and 20, max 100); per_page above max is clamped. */
export function readPage(query: URLSearchParams, options: PageOptions = {}): PageRequest {
  const perPage = Math.min(
    positiveInt(query.get(options.perPageParam ?? 'per_page'), options.perPageParam ?? 'per_page', options.defaultPerPage ?? 30),
    options.maxPerPage ?? 100,
  );
  return { page: positiveInt(query.get(options.pageParam ?? 'page'), options.pageParam ?? 'page', 1), perPage };
}

export function paginate<T>(all: readonly T[], req: PageRequest): Page<T> {
  const start = (req.page - 1) * req.perPage;
  return {
    items: all.slice(start, start + req.perPage),
    page: req.page,
    perPage: req.perPage,
    total: all.length,
    lastPage: Math.max(1, Math.ceil(all.length / req.perPage)),
  };
}

/** RFC 8288 `Link` header as GitHub (and GitLab) send it: next/last, then prev/first. */
export function linkHeader(url: URL, page: Page<unknown>, options: PageOptions = {}): string | undefined {
  const pageParam = options.pageParam ?? 'page';
  const perPageParam = options.perPageParam ?? 'per_page';
  const at = (n: number): string => {
    const u = new URL(url.toString());
    u.searchParams.set(perPageParam, String(page.perPage));
    u.searchParams.set(pageParam, String(n));
    return `<${u.toString()}>`;
  };
  const links: string[] = [];
  if (page.page < page.lastPage) links.push(`${at(page.page + 1)}; rel="next"`, `${at(page.lastPage)}; rel="last"`);
  if (page.page > 1) links.push(`${at(Math.min(page.page - 1, page.lastPage))}; rel="prev"`, `${at(1)}; rel="first"`);
  return links.length ? links.join(', ') : undefined;
}

/** Parses a Link header into rel → URL (test helper). */
export function parseLinkHeader(header: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(',')) {
    const m = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part.trim());
    if (m) out[m[2]] = m[1];
  }
  return out;
}
