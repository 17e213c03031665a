// The list of public routes decides what the snapshot holds and how the render cache keys a
// URL; nginx must agree with it on which pages read their query string.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';
import { cacheKeyFor, pathFor, publicRouteOf, publicRoutes } from '../../api/publish/routes.ts';
import { fileFor } from '../../api/publish/files.ts';

describe('public routes', () => {
  it('key the cache on the path plus only the parameters the page reads', () => {
    expect(cacheKeyFor('/')).toBe('/');
    expect(cacheKeyFor('/?utm_source=correo&fbclid=abc')).toBe('/');
    expect(cacheKeyFor('/incidentes/abc123?ref=x')).toBe('/incidentes/abc123');
    expect(cacheKeyFor('/api/v2/summary.json?_=1700000000')).toBe('/api/v2/summary.json');
    expect(cacheKeyFor('/historial?utm=1&mes=2026-11')).toBe('/historial?mes=2026-11');
    expect(cacheKeyFor('/historial?utm=1')).toBe('/historial');
    expect(cacheKeyFor('/autodiagnostico?cable=falla&zona=metepec&x=1')).toBe(
      '/autodiagnostico?zona=metepec&cable=falla',
    );
    // Per-visitor pages and unknown paths keep their whole URL (and are never shared).
    expect(cacheKeyFor('/suscripcion/confirmar?token=abc')).toBe('/suscripcion/confirmar?token=abc');
    expect(cacheKeyFor('/nada?x=1')).toBe('/nada?x=1');
  });

  it('tell a fixed path from a pattern, and name each file of the snapshot', () => {
    expect(publicRouteOf('/mantenimiento.ics')?.path).toBe('/mantenimiento.ics');
    expect(publicRouteOf('/mantenimiento/abc123')?.path).toBe('/mantenimiento/:id');
    expect(publicRouteOf('/mantenimiento/abc123.ics')?.path).toBe('/mantenimiento/:id.ics');
    expect(publicRouteOf('/mantenimiento/mes/2026-12')?.path).toBe('/mantenimiento/mes/:mes');
    expect(publicRouteOf('/noc')).toBeUndefined();
    expect(pathFor(publicRouteOf('/componentes/x/feed.rss')!, 'metepec')).toBe('/componentes/metepec/feed.rss');
    expect(fileFor('/')).toBe('index.html');
    expect(fileFor('/historial/2026-11')).toBe('historial/2026-11/index.html');
    expect(fileFor('/api/v2/incidents/unresolved.json')).toBe('api/v2/incidents/unresolved.json');
    expect(fileFor('/mantenimiento/abc.ics')).toBe('mantenimiento/abc.ics');
  });

  it('deploy/nginx.conf sends a query string to Node for exactly the pages that read one', () => {
    const conf = readFileSync(join(projectRoot, 'deploy', 'nginx.conf'), 'utf8');
    const listed = /"~\^\/\(([a-z|]+)\)\/\?\\\?\$" 1;/.exec(conf)?.[1].split('|').sort();
    const reading = publicRoutes
      .filter((r) => r.query?.length)
      .map((r) => r.path.slice(1))
      .sort();
    expect(listed).toEqual(reading);
  });

  it('never publishes per-visitor pages', () => {
    for (const path of [
      '/noc',
      '/suscripcion/confirmar',
      '/suscripcion/baja',
      '/suscripcion/preferencias',
      '/mi-servicio',
      '/mi-servicio/SOM-12345',
    ]) {
      expect(publicRouteOf(path), path).toBeUndefined();
    }
  });
});
