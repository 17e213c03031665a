import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { overallStatusWithMaintenance, compareSeverity, withMaintenanceInProgress } from '#db/domain/rollup.ts';
import { DAY } from '#db/domain/time.ts';
import {
  activeMaintenances,
  componentCatalogue,
  findInCatalogue,
  unknownRefMessage,
  unexplainedFaults,
  unresolvedIncidents,
  upcomingMaintenances,
} from '#db/queries/index.ts';
import { PUBLIC_CACHE_CONTROL } from '../cache.ts';
import type { AppDeps } from '../context.ts';
import { errorResponse } from '../errors.ts';
import { statusBadgeSvg } from '../render/badge.ts';
import { statusText } from '../render/statusText.ts';
import { serveCached } from '../http.ts';

/** The embeddable banner script, read once; it is static and served from memory. */
export const EMBED_SCRIPT = readFileSync(new URL('../embed/embed.js', import.meta.url), 'utf8');

/** Embeds for other sites: SVG badges, the banner script and a plain-text status. */
export function embedRoutes(deps: AppDeps) {
  const app = new Hono();
  const open = {
    'cache-control': PUBLIC_CACHE_CONTROL,
    'x-content-type-options': 'nosniff',
    'access-control-allow-origin': '*',
  };

  app.get('/badge.svg', (c) =>
    serveCached(c, deps, '/badge.svg', () => {
      const catalogue = componentCatalogue(deps.db);
      const overall = overallStatusWithMaintenance(
        catalogue.all.map((x) => x.status),
        activeMaintenances(deps.db, catalogue).length > 0,
      );
      return {
        body: statusBadgeSvg('SOMNET', overall.status),
        headers: { 'content-type': 'image/svg+xml; charset=utf-8', ...open },
      };
    }),
  );

  app.get('/componentes/:slug/badge.svg', (c) => {
    const ref = c.req.param('slug');
    const catalogue = componentCatalogue(deps.db);
    const found = findInCatalogue(catalogue, ref);
    if (!found) return errorResponse(c, 404, 'not_found', unknownRefMessage(ref, 'any'));
    return serveCached(c, deps, `/componentes/${ref}/badge.svg`, () => {
      // A window that does not flip its components (auto_transition false) still shows here.
      const held = new Set(activeMaintenances(deps.db, catalogue).flatMap((m) => m.components.map((x) => x.id)));
      const body =
        found.kind === 'component'
          ? statusBadgeSvg(
              found.component.fullName,
              withMaintenanceInProgress(found.component.status, held.has(found.component.id)),
            )
          : statusBadgeSvg(
              found.group.name,
              withMaintenanceInProgress(
                found.group.status,
                found.group.components.some((x) => held.has(x.id)),
              ),
            );
      return { body, headers: { 'content-type': 'image/svg+xml; charset=utf-8', ...open } };
    });
  });

  app.get('/status.txt', (c) =>
    serveCached(c, deps, '/status.txt', () => {
      const catalogue = componentCatalogue(deps.db);
      const now = deps.now();
      const maintenances = activeMaintenances(deps.db, catalogue);
      const body = statusText({
        overall: overallStatusWithMaintenance(
          catalogue.all.map((x) => x.status),
          maintenances.length > 0,
        ),
        affected: catalogue.all
          .filter((x) => x.status !== 'operational')
          .sort((a, b) => compareSeverity(a.status, b.status)),
        incidents: unresolvedIncidents(deps.db, catalogue),
        maintenances,
        // The cache is dropped when a window enters its last 24 h: the scheduler's reminder is a write
        // at exactly start − 24 h, so the bound is inclusive (+1 ms) for a render at that very instant.
        nextMaintenance: upcomingMaintenances(deps.db, now, { within: DAY + 1, catalogue })[0] ?? null,
        unexplained: unexplainedFaults(deps.db, catalogue),
        now,
        publicUrl: deps.config.publicUrl,
      });
      return { body, headers: { 'content-type': 'text/plain; charset=utf-8', ...open } };
    }),
  );

  // Loaded by other sites' pages: same bytes for everyone; it reads summary.json itself.
  app.get('/embed.js', (c) =>
    serveCached(c, deps, '/embed.js', () => ({
      body: EMBED_SCRIPT,
      headers: {
        'content-type': 'text/javascript; charset=utf-8',
        'cross-origin-resource-policy': 'cross-origin',
        ...open,
        'cache-control': 'public, max-age=300, stale-while-revalidate=86400, stale-if-error=86400',
      },
    })),
  );
  return app;
}
