// Path routing with the History API: `/`, `/configs/<name>`, `/deploys/<id>`, `/events`,
// `/commit-statuses?repo=&sha=`, `/dora?days=&team=&config=`. The all-in-one answers such paths with index.html (SPA
// fallback, libs/all-in-one/src/dashboard.ts), so a link can be reloaded.
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';
import { DEFAULT_WINDOW_DAYS, windowDaysOf } from './dora-format';

export type Route = { page: 'configs' } | { page: 'config'; name: string } | { page: 'deploy'; id: string } | { page: 'events' } | { page: 'commit-statuses'; repo: string; sha: string } | { page: 'dora'; days: number; team: string; config: string } | { page: 'not-found'; path: string };

export function routeOf(pathname: string, search = ''): Route {
  const [first, second, ...rest] = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (!first) return { page: 'configs' };
  if (first === 'configs' && second && rest.length === 0) return { page: 'config', name: second };
  if (first === 'deploys' && second && rest.length === 0) return { page: 'deploy', id: second };
  if (first === 'events' && !second) return { page: 'events' };
  const query = new URLSearchParams(search);
  if (first === 'commit-statuses' && !second) return { page: 'commit-statuses', repo: query.get('repo') ?? '', sha: query.get('sha') ?? '' };
  if (first === 'dora' && !second) return { page: 'dora', days: windowDaysOf(query.get('days')), team: query.get('team') ?? '', config: query.get('config') ?? '' };
  return { page: 'not-found', path: pathname };
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  window.history.pushState(null, '', path);
  listeners.forEach((l) => l());
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(window.location.pathname, window.location.search));
  useEffect(() => {
    const update = (): void => setRoute(routeOf(window.location.pathname, window.location.search));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** A real link (opens in a new tab, works with the keyboard) that navigates in place. */
export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} className={className}>
      {children}
    </a>
  );
}

export const configUrl = (name: string): string => `/configs/${encodeURIComponent(name)}`;
export const deployUrl = (id: string): string => `/deploys/${encodeURIComponent(id)}`;
export const commitStatusesUrl = (repo: string, sha: string): string => `/commit-statuses?${new URLSearchParams(sha ? { repo, sha } : { repo }).toString()}`;
export function doraUrl(q: { days: number; team: string; config: string }): string {
  const query = new URLSearchParams();
  if (q.days !== DEFAULT_WINDOW_DAYS) query.set('days', String(q.days));
  if (q.team) query.set('team', q.team);
  if (q.config) query.set('config', q.config);
  return query.toString() ? `/dora?${query.toString()}` : '/dora';
}
