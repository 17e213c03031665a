// Coverage areas and "¿Tengo cobertura?": pure functions shared by the server (typed
// coordinates, without JavaScript) and the map script in the browser, so both answer alike.
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import type { Feature, MultiPolygon, Polygon, Position } from 'geojson';

export const coverageTechnologies = ['fiber', 'microwave'] as const;
export type CoverageTechnology = (typeof coverageTechnologies)[number];
export const coverageTechnologyLabels: Record<CoverageTechnology, string> = {
  fiber: 'Fibra óptica',
  microwave: 'Inalámbrico (microondas)',
};

/** Where feasibility-study requests go (manual 2.3). */
export const FEASIBILITY_INBOX = 'cobertura@somnet.com.mx';

export const feasibilityServices = ['fiber', 'microwave', 'any'] as const;
export type FeasibilityService = (typeof feasibilityServices)[number];
export const feasibilityServiceLabels: Record<FeasibilityService, string> = {
  fiber: 'Fibra óptica',
  microwave: 'Inalámbrico (microondas)',
  any: 'La que sea viable',
};

export interface CoverageArea {
  areaSlug: string;
  technology: CoverageTechnology;
  locality: string;
  geometry: Polygon | MultiPolygon;
}

export interface CoverageMatch {
  areaSlug: string;
  technology: CoverageTechnology;
  locality: string;
}

/**
 * The areas covering a point ([longitude, latitude], GeoJSON order). A point on an edge counts
 * as covered (turf's default, ignoreBoundary false): a customer on the boundary street gets
 * the study anyway, better to say yes and check. A point inside a hole is not covered.
 */
export function coverageAt(areas: CoverageArea[], point: [number, number]): CoverageMatch[] {
  const seen = new Set<string>();
  const matches: CoverageMatch[] = [];
  for (const area of areas) {
    const feature: Feature<Polygon | MultiPolygon> = { type: 'Feature', properties: {}, geometry: area.geometry };
    if (!booleanPointInPolygon(point, feature)) continue;
    const key = `${area.areaSlug}:${area.technology}`;
    if (seen.has(key)) continue;
    seen.add(key);
    matches.push({ areaSlug: area.areaSlug, technology: area.technology, locality: area.locality });
  }
  return matches.sort(
    (a, b) => coverageTechnologies.indexOf(a.technology) - coverageTechnologies.indexOf(b.technology),
  );
}

/** The catalogue component whose status stands for a technology in an area (seed naming). */
export function componentSlugFor(areaSlug: string, technology: CoverageTechnology): string {
  return `${areaSlug}-${technology === 'fiber' ? 'fibra' : 'inalambrico'}`;
}

/** "19.2826, -99.6557" or "19.2826 -99.6557" (latitude first, as phones show it). */
export function parseCoordinates(latText: string, lonText?: string): [number, number] | null {
  let lat: number;
  let lon: number;
  if (lonText === undefined || lonText.trim() === '') {
    const parts = latText
      .trim()
      .split(/[\s,;]+/)
      .filter(Boolean);
    if (parts.length !== 2) return null;
    [lat, lon] = parts.map(Number);
  } else {
    lat = Number(latText.trim());
    lon = Number(lonText.trim());
  }
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || latText.trim() === '') return null;
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return null;
  return [lon, lat];
}

/** Problems with a ring, in Spanish, or null: closed, at least 4 positions, valid degrees. */
export function ringProblem(ring: Position[]): string | null {
  if (ring.length < 4) return 'Cada anillo necesita al menos 4 posiciones (la última repite la primera).';
  for (const p of ring) {
    if (p.length < 2 || p.length > 3 || !p.every((n) => typeof n === 'number' && Number.isFinite(n)))
      return 'Cada posición es [longitud, latitud] con números.';
    if (p[0] < -180 || p[0] > 180) return `Longitud fuera de rango: ${p[0]} (debe estar entre -180 y 180).`;
    if (p[1] < -90 || p[1] > 90) return `Latitud fuera de rango: ${p[1]} (debe estar entre -90 y 90).`;
  }
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (first[0] !== last[0] || first[1] !== last[1])
    return 'El anillo no está cerrado: la última posición debe repetir la primera.';
  return null;
}
