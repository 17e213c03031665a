import type { MultiPolygon, Polygon } from 'geojson';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { coverageAreas, appMeta } from '../schema/index.ts';
import { coverageTechnologies, ringProblem } from '../domain/coverage.ts';
import { componentCatalogue, resolveRef } from '../queries/catalog.ts';
import { unknownRefs } from './errors.ts';
import { recordAudit } from './audit.ts';
import { parseInput, text } from './input.ts';
import { runCommand, type CommandContext } from './transaction.ts';

export const COVERAGE_META_KEY = 'coverage_updated_at';

const position = z.array(z.number()).min(2).max(3);
const ring = z.array(position).superRefine((r, ctx) => {
  const problem = ringProblem(r);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const polygon = z.strictObject({
  type: z.literal('Polygon'),
  coordinates: z.array(ring).min(1, 'Un polígono necesita al menos su anillo exterior.'),
});
const multiPolygon = z.strictObject({
  type: z.literal('MultiPolygon'),
  coordinates: z.array(z.array(ring).min(1)).min(1),
});

/** RFC 7946 FeatureCollection of (Multi)Polygons, each tagged with its area and technology. */
export const coverageInput = z.object({
  type: z.literal('FeatureCollection', { error: 'Se esperaba un GeoJSON FeatureCollection.' }),
  features: z
    .array(
      z.object({
        type: z.literal('Feature'),
        geometry: z.discriminatedUnion('type', [polygon, multiPolygon], {
          error: 'La geometría debe ser Polygon o MultiPolygon.',
        }),
        properties: z.object({
          area: text({
            min: 1,
            max: 100,
            label: 'La zona',
            required: 'Indique la zona (slug del grupo del catálogo, p. ej. metepec).',
          }),
          technology: z.enum(coverageTechnologies, { error: 'La tecnología debe ser fiber o microwave.' }),
          locality: text({
            min: 1,
            max: 120,
            label: 'La localidad',
            required: 'Indique la localidad que se lista sin mapa.',
          }),
        }),
      }),
    )
    .min(1, 'Envíe al menos un área de cobertura.')
    .max(2000),
});
export type CoverageInput = z.input<typeof coverageInput>;

/**
 * Replaces every coverage polygon at once (the map is one document; partial edits would leave
 * it half old, half new). Each feature's area must be a group of the catalogue, so its live
 * status can answer the coverage check.
 */
export function replaceCoverage(db: Db, raw: CoverageInput, ctx: CommandContext): { count: number } {
  const { features } = parseInput(coverageInput, raw);
  return runCommand(db, () => {
    const catalogue = componentCatalogue(db);
    const areas = features.map((f, i) =>
      resolveRef(catalogue, f.properties.area, `features.${i}.properties.area`, 'group'),
    );
    const unknown = areas.flatMap((r) => (r.unknown ? [r.unknown] : []));
    if (unknown.length) throw unknownRefs(unknown, 'unknown_area');
    db.delete(coverageAreas).run();
    features.forEach((f, i) => {
      const area = areas[i].entry!;
      db.insert(coverageAreas)
        .values({
          areaSlug: area.kind === 'group' ? area.group.slug : f.properties.area,
          technology: f.properties.technology,
          locality: f.properties.locality,
          geometry: JSON.stringify(f.geometry satisfies Polygon | MultiPolygon),
          position: i,
          createdAt: ctx.now,
        })
        .run();
    });
    db.insert(appMeta)
      .values({ key: COVERAGE_META_KEY, value: ctx.now.toISOString() })
      .onConflictDoUpdate({ target: appMeta.key, set: { value: ctx.now.toISOString() } })
      .run();
    recordAudit(db, ctx.actor, 'coverage.replaced', { type: 'coverage' }, ctx.now, { features: features.length });
    return { count: features.length };
  });
}
