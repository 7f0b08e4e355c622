import { useEffect, useState } from 'react';

/** The part of the hash after the page: `#/incidents/runbook/level1?subject=alert:x` → ['runbook', 'level1'] and its query. */
export interface SubRoute {
  path: string[];
  query: URLSearchParams;
}

function read(): SubRoute {
  const raw = window.location.hash.replace(/^#\/?/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?');
  return {
    path: pathPart.split('/').slice(1).filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(queryPart),
  };
}

export function useSubRoute(): SubRoute {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Links inside the app: `#/incidents/runbook/<id>?subject=alert:<id>`. */
export const links = {
  runbook: (id: string, subject?: string) =>
    `#/incidents/runbook/${encodeURIComponent(id)}${subject ? `?subject=${encodeURIComponent(subject)}` : ''}`,
  incident: (id: string) => `#/incidents/${encodeURIComponent(id)}`,
  newIncident: (from: { alertId?: string; stopId?: string }) =>
    `#/incidents/new?${from.alertId ? `alert=${encodeURIComponent(from.alertId)}` : `stop=${encodeURIComponent(from.stopId ?? '')}`}`,
  runbooks: () => '#/incidents/runbooks',
};
