import { asc, desc, eq } from 'drizzle-orm';
import type { MultiPolygon, Polygon } from 'geojson';
import type { Db } from '../client.ts';
import { appMeta, coverageAreas, feasibilityRequests } from '../schema/index.ts';
import {
  componentSlugFor,
  coverageTechnologies,
  coverageTechnologyLabels,
  type CoverageArea,
  type CoverageTechnology,
} from '../domain/coverage.ts';
import { demoCoverageAreas } from '../domain/coverageDemo.ts';
import { componentStatusShortLabels, type ComponentStatus } from '../enums.ts';
import { componentCatalogue } from './catalog.ts';

/** The NOC's polygons, or the demo ones while the NOC has never uploaded any. */
export function coverageAreaList(db: Db): { areas: CoverageArea[]; demo: boolean } {
  const uploaded = db.select().from(appMeta).where(eq(appMeta.key, 'coverage_updated_at')).get();
  if (!uploaded) return { areas: demoCoverageAreas, demo: true };
  const rows = db.select().from(coverageAreas).orderBy(asc(coverageAreas.position)).all();
  return {
    demo: false,
    areas: rows.map((r) => ({
      areaSlug: r.areaSlug,
      technology: r.technology,
      locality: r.locality,
      geometry: JSON.parse(r.geometry) as Polygon | MultiPolygon,
    })),
  };
}

export interface AreaStatusView {
  areaSlug: string;
  areaName: string;
  technology: CoverageTechnology;
  technologyLabel: string;
  status: ComponentStatus;
  statusLabel: string;
}

export interface CoverageMapView {
  areas: CoverageArea[];
  demo: boolean;
  /** Live status per area and technology, keyed "area:technology". */
  statuses: Record<string, AreaStatusView>;
  /** Localities by technology, for the list shown without JavaScript. */
  localities: Record<CoverageTechnology, Array<{ locality: string; areaSlug: string; areaName: string }>>;
  tiles: { url: string; attribution: string };
}

export const DEFAULT_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
const OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>';

/** Everything /cobertura shows: polygons, each area's live status, the tile source. */
export function coverageMap(db: Db, options: { tileUrl?: string } = {}): CoverageMapView {
  const { areas, demo } = coverageAreaList(db);
  const catalogue = componentCatalogue(db);
  const groups = new Map(catalogue.groups.map((g) => [g.slug, g]));
  const bySlug = new Map(catalogue.all.map((c) => [c.slug, c]));
  const statuses: CoverageMapView['statuses'] = {};
  const localities: CoverageMapView['localities'] = { fiber: [], microwave: [] };
  for (const area of areas) {
    const group = groups.get(area.areaSlug);
    const component = bySlug.get(componentSlugFor(area.areaSlug, area.technology));
    const status = component?.status ?? group?.status ?? 'operational';
    const areaName = group?.name ?? area.areaSlug;
    statuses[`${area.areaSlug}:${area.technology}`] = {
      areaSlug: area.areaSlug,
      areaName,
      technology: area.technology,
      technologyLabel: coverageTechnologyLabels[area.technology],
      status,
      // The customer's word for the state (the same as every public page's; site/lib/wording.ts).
      statusLabel: componentStatusShortLabels[status],
    };
    localities[area.technology].push({ locality: area.locality, areaSlug: area.areaSlug, areaName });
  }
  for (const t of coverageTechnologies) localities[t].sort((a, b) => a.locality.localeCompare(b.locality, 'es'));
  const url = options.tileUrl ?? DEFAULT_TILE_URL;
  return {
    areas,
    demo,
    statuses,
    localities,
    tiles: { url, attribution: url === DEFAULT_TILE_URL ? OSM_ATTRIBUTION : '' },
  };
}

export interface FeasibilityRequestView {
  id: string;
  company: string;
  contactName: string;
  email: string;
  phone: string;
  latitude: number;
  longitude: number;
  address: string;
  service: string;
  bandwidth: string | null;
  notes: string | null;
  createdAt: Date;
}

/** Newest first, for the NOC. */
export function feasibilityRequestList(db: Db, limit = 200): FeasibilityRequestView[] {
  return db
    .select()
    .from(feasibilityRequests)
    .orderBy(desc(feasibilityRequests.createdAt))
    .limit(limit)
    .all()
    .map(({ clientKey: _key, ...row }) => row);
}

/** One request, for the email to the coverage team. */
export function feasibilityRequestById(db: Db, id: string) {
  const row = db.select().from(feasibilityRequests).where(eq(feasibilityRequests.id, id)).get();
  if (!row) return null;
  const { clientKey: _key, ...request } = row;
  return request;
}
