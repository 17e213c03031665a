// Route families: the `family` label of somnet_http_requests_total and somnet_render_seconds.
// A label value per raw path would give Prometheus a new series for every incident id, month and
// probe of a scanner; a family is one of the fixed names below, whatever the path.

export const routeFamilies = [
  'home',
  'incident',
  'area',
  'history',
  'availability',
  'maintenance',
  'calendar',
  'feed',
  'embed',
  'api_v2',
  'api_v1',
  'alert_intake',
  'console',
  'my_service',
  'subscription',
  'self_help',
  'coverage',
  'quality',
  'page',
  'asset',
  'health',
  'metrics',
  'other',
] as const;

export type RouteFamily = (typeof routeFamilies)[number];

/** First match wins; the path has no query string. */
const rules: Array<[RegExp, RouteFamily]> = [
  [/^\/$/, 'home'],
  [/^\/healthz$/, 'health'],
  [/^\/metrics$/, 'metrics'],
  [/^\/api\/v1\/alerts(\/|$)/, 'alert_intake'],
  [/^\/api\/v1(\/|$)/, 'api_v1'],
  [/^\/api\/v2(\/|$)/, 'api_v2'],
  [/^\/api\/coverage\.geojson$/, 'coverage'],
  [/\.ics$/, 'calendar'],
  [/^\/(componentes\/[^/]+\/)?feed\.(rss|atom|json)$|^\/history\.(rss|atom)$/, 'feed'],
  [/^\/(componentes\/[^/]+\/)?badge\.svg$|^\/status\.txt$|^\/embed\.js$/, 'embed'],
  [/^\/noc(\/|$)/, 'console'],
  [/^\/mi-servicio(\/|$)/, 'my_service'],
  [/^\/(suscribirse|suscripcion)(\/|$)/, 'subscription'],
  [/^\/incidentes(\/|$)/, 'incident'],
  [/^\/zonas(\/|$)/, 'area'],
  [/^\/historial(\/|$)/, 'history'],
  [/^\/disponibilidad(\/|$)/, 'availability'],
  [/^\/mantenimiento(\/|$)/, 'maintenance'],
  [/^\/(autodiagnostico|soporte|leds)(\/|$)/, 'self_help'],
  [/^\/cobertura(\/|$)/, 'coverage'],
  [/^\/calidad(\/|$)/, 'quality'],
  [/^\/(integraciones|integraciones\/api|no-disponible)$/, 'page'],
  [/^\/_astro\/|^\/(favicon\.(ico|svg)|apple-touch-icon\.png|robots\.txt)$/, 'asset'],
];

/** The family of a request URL (its query string is ignored). */
export function routeFamily(url: string): RouteFamily {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  for (const [pattern, family] of rules) if (pattern.test(path)) return family;
  return 'other';
}
