// Path routing with the History API: `/`, `/configs/<name>`, `/deploys/<id>`, `/events`. The
// all-in-one answers any such path with index.html (SPA fallback), so a link can be reloaded.
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';

export type Route = { page: 'configs' } | { page: 'config'; name: string } | { page: 'deploy'; id: string } | { page: 'events' } | { page: 'not-found'; path: string };

export function routeOf(pathname: string): Route {
  const [first, second, ...rest] = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (!first) return { page: 'configs' };
  if (first === 'configs' && second && rest.length === 0) return { page: 'config', name: second };
  if (first === 'deploys' && second && rest.length === 0) return { page: 'deploy', id: second };
  if (first === 'events' && !second) return { page: 'events' };
  return { page: 'not-found', path: pathname };
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  window.history.pushState(null, '', path);
  listeners.forEach((l) => l());
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(window.location.pathname));
  useEffect(() => {
    const update = (): void => setRoute(routeOf(window.location.pathname));
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
