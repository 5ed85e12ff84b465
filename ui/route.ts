import { useEffect, useState } from 'preact/hooks';

/**
 * Where the page is: `#/tasks/ID` is `{ page: 'tasks', arg: 'ID' }`, `#/tasks?queue=mail`
 * carries filters. Hash routes need no server rewrite and never reach the hub's logs.
 */
export interface Route {
  page: string;
  arg: string | undefined;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = '', ...rest] = path.split('/');
  return {
    page: page || 'overview',
    arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined,
    params: new URLSearchParams(search),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const f = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return route;
}

export const href = (page: string, arg?: string, params?: Record<string, string>): string => {
  const s = params
    ? new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString()
    : '';
  return `#/${page}${arg === undefined ? '' : '/' + encodeURIComponent(arg)}${s ? '?' + s : ''}`;
};
