// Every public URL of the site, in one list: what the published snapshot holds (PUBLISH_DIR,
// `npm run export`), which query parameters each page reads (the render cache keys on those
// alone), and which family of objects a route exists once per. A new public page joins with one
// line here; a page that must not be a public file (per-service pages: anyone could probe IDs
// without the rate limit) is simply not listed, and Node keeps serving it.
import { steps as selfDiagnosisSteps } from '../../site/lib/selfDiagnosis.ts';
import type { CollectionName } from './collections.ts';

export interface PublicRoute {
  /** URL path. `:param` is each member of `each`; a path whose last segment has no dot is a page (written as `…/index.html`). */
  path: string;
  /** The family this route exists once per (api/publish/collections.ts); absent: one path, re-rendered with every public change. */
  each?: CollectionName;
  /**
   * Query parameters the page reads. Every other parameter is ignored: the cache keys on these
   * alone and the page is rendered without the others (so `/?utm_source=x` is a cache hit), and
   * nginx sends a request with a query string to Node only for these pages.
   */
  query?: readonly string[];
  /**
   * How often the clock alone re-renders this page (it is also re-rendered after every public
   * change): every minute unless it says otherwise.
   */
  refresh?: 'minute' | 'quarter-hour';
  /**
   * An Astro page no API route answers: the publisher renders it straight through the page
   * renderer (api/pages.ts, `deps.renderPage`), the same bytes a GET gets, without an HTTP
   * request around it.
   */
  page?: true;
}

export const publicRoutes: readonly PublicRoute[] = [
  // The most read first: a publish writes in this order.
  { path: '/' },
  { path: '/api/v2/summary.json' },
  { path: '/api/v2/status.json' },
  { path: '/api/v2/components.json' },
  { path: '/api/v2/incidents.json' },
  { path: '/api/v2/incidents/unresolved.json' },
  { path: '/api/v2/scheduled-maintenances.json' },
  { path: '/api/v2/scheduled-maintenances/upcoming.json' },
  { path: '/api/v2/scheduled-maintenances/active.json' },
  { path: '/status.txt' },
  { path: '/badge.svg' },
  { path: '/embed.js' },
  { path: '/incidentes/:id', each: 'incidents', page: true },
  { path: '/zonas/:slug', each: 'areas', page: true },
  { path: '/calidad', each: 'qualityOverview' },
  { path: '/calidad/:slug', each: 'qualityAreas', page: true },
  { path: '/calidad/:slug.json', each: 'qualityAreas' },
  { path: '/calidad/:slug.csv', each: 'qualityAreas' },
  { path: '/historial', query: ['mes'] },
  { path: '/historial/:mes', each: 'historyMonths', page: true },
  // States the minute its figures count to: refreshed every quarter hour and after each change.
  { path: '/disponibilidad', refresh: 'quarter-hour' },
  { path: '/disponibilidad/:mes', each: 'availabilityMonths', page: true },
  { path: '/disponibilidad/:mes.csv', each: 'availabilityMonths' },
  { path: '/mantenimiento', query: ['mes'] },
  { path: '/mantenimiento/mes/:mes', each: 'calendarMonths', page: true },
  { path: '/mantenimiento/:id', each: 'maintenances', page: true },
  { path: '/mantenimiento/:id.ics', each: 'maintenances' },
  { path: '/mantenimiento.ics' },
  { path: '/feed.rss' },
  { path: '/feed.atom' },
  { path: '/feed.json' },
  { path: '/history.rss' },
  { path: '/history.atom' },
  { path: '/componentes/:slug/feed.rss', each: 'catalogue' },
  { path: '/componentes/:slug/feed.atom', each: 'catalogue' },
  { path: '/componentes/:slug/feed.json', each: 'catalogue' },
  { path: '/componentes/:slug/badge.svg', each: 'catalogue' },
  { path: '/componentes/:slug/mantenimiento.ics', each: 'catalogue' },
  {
    path: '/autodiagnostico',
    query: ['zona', 'tecnologia', 'id_servicio', 'pasos', ...Object.keys(selfDiagnosisSteps)],
  },
  { path: '/soporte', query: ['criticidad', 'servicio', 'id_servicio', 'cliente', 'diagnostico'] },
  { path: '/leds' },
  { path: '/cobertura', query: ['solicitud', 'lat', 'lon'] },
  { path: '/api/coverage.geojson' },
  { path: '/suscribirse', query: ['id_servicio', 'zona', 'componente', 'todas'] },
  { path: '/integraciones' },
  { path: '/integraciones/api' },
  // Shown by nginx when Node does not answer (deploy/nginx.conf).
  { path: '/no-disponible' },
];

interface CompiledRoute {
  route: PublicRoute;
  pattern: RegExp;
}

const PARAM = /:([a-z]+)/g;

const compiled: CompiledRoute[] = publicRoutes.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/[.]/g, '\\.').replace(PARAM, '([a-z0-9-]+)')}$`),
}));

/** The route a URL path belongs to (a fixed path wins over a pattern: `/mantenimiento.ics` is not `/mantenimiento/:id`). */
export function publicRouteOf(path: string): PublicRoute | undefined {
  let match: PublicRoute | undefined;
  for (const { route, pattern } of compiled) {
    if (!pattern.test(path)) continue;
    if (!route.path.includes(':')) return route;
    match ??= route;
  }
  return match;
}

/** The route's path for one member of its family. */
export function pathFor(route: PublicRoute, member?: string): string {
  return member === undefined ? route.path : route.path.replace(PARAM, member);
}

/**
 * The key a GET is cached under (and, for a public route, the URL its page is rendered from):
 * the path plus only the query parameters the route reads, in the order it lists them. Other
 * URLs (per-visitor pages, unknown paths) keep their whole URL.
 */
export function cacheKeyFor(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const path = url.slice(0, q);
  const route = publicRouteOf(path);
  if (!route) return url;
  if (!route.query?.length) return path;
  const given = new URLSearchParams(url.slice(q + 1));
  const kept = new URLSearchParams();
  for (const name of route.query) for (const value of given.getAll(name)) kept.append(name, value);
  const query = kept.toString();
  return query ? `${path}?${query}` : path;
}
