/**
 * Screens live in the URL's fragment (#/models/<id>, #/requests/<id>, #/history?status=...):
 * the server serves one page at `/`, a reload keeps the screen, and the fragment never reaches
 * the server or a log. Nothing secret is ever put in it.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { screen: 'gallery' }
  | { screen: 'model'; modelId: string }
  | { screen: 'request'; requestId: string; modelId?: string }
  | { screen: 'history'; query: Record<string, string> };

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const query = Object.fromEntries(new URLSearchParams(search));
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'models' && parts.length > 1) return { screen: 'model', modelId: parts.slice(1).join('/') };
  if (parts[0] === 'requests' && parts[1]) return { screen: 'request', requestId: parts[1], ...(query.model ? { modelId: query.model } : {}) };
  if (parts[0] === 'history') return { screen: 'history', query };
  return { screen: 'gallery' };
}

export function hrefOf(route: Route): string {
  switch (route.screen) {
    case 'gallery':
      return '#/';
    case 'model':
      return `#/models/${route.modelId.split('/').map(encodeURIComponent).join('/')}`;
    case 'request':
      return `#/requests/${encodeURIComponent(route.requestId)}${route.modelId ? `?${new URLSearchParams({ model: route.modelId })}` : ''}`;
    case 'history': {
      const search = new URLSearchParams(Object.entries(route.query).filter(([, value]) => value !== ''));
      return `#/history${search.size > 0 ? `?${search}` : ''}`;
    }
  }
}

export function navigate(route: Route, replace = false): void {
  if (replace) history.replaceState(null, '', hrefOf(route));
  else location.hash = hrefOf(route);
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
