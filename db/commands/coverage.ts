import type { MultiPolygon, Polygon } from 'geojson';
import type { Db } from '../client.ts';
import { coverageAreas, appMeta } from '../schema/index.ts';
import type { CoverageTechnology } from '../domain/coverage.ts';
import { CommandError, type FieldError } from './errors.ts';
import { recordAudit } from './audit.ts';
import { runCommand, type CommandContext } from './transaction.ts';
import { findGroup } from './catalog.ts';

export const COVERAGE_META_KEY = 'coverage_updated_at';

export interface CoverageFeatureInput {
  area: string;
  technology: CoverageTechnology;
  locality: string;
  geometry: Polygon | MultiPolygon;
}

/**
 * Replaces every coverage polygon at once (the map is one document; partial edits would leave
 * it half old, half new). Each feature's area must be a group of the catalogue, so its live
 * status can answer the coverage check.
 */
export function replaceCoverage(db: Db, features: CoverageFeatureInput[], ctx: CommandContext): { count: number } {
  return runCommand(db, () => {
    const fields: FieldError[] = [];
    features.forEach((f, i) => {
      if (!findGroup(db, f.area)) fields.push({ path: `features.${i}.properties.area`, message: `No existe la zona «${f.area}» en el catálogo.` });
    });
    if (fields.length) throw new CommandError(422, 'unknown_area', 'Algunas zonas no existen en el catálogo.', fields);
    db.delete(coverageAreas).run();
    features.forEach((f, i) => {
      db.insert(coverageAreas).values({
        areaSlug: findGroup(db, f.area)!.slug,
        technology: f.technology,
        locality: f.locality,
        geometry: JSON.stringify(f.geometry),
        position: i,
        createdAt: ctx.now,
      }).run();
    });
    db.insert(appMeta).values({ key: COVERAGE_META_KEY, value: ctx.now.toISOString() })
      .onConflictDoUpdate({ target: appMeta.key, set: { value: ctx.now.toISOString() } }).run();
    recordAudit(db, ctx.actor, 'coverage.replaced', { type: 'coverage' }, ctx.now, { features: features.length });
    return { count: features.length };
  });
}
