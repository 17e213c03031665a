import { Hono } from 'hono';
import type { Db } from '#db/client.ts';
import { overallStatusWithMaintenance } from '#db/domain/rollup.ts';
import {
  activeMaintenances,
  componentCatalogue,
  recentIncidents,
  recentMaintenances,
  unexplainedFaults,
  unexplainedFaultText,
  unresolvedIncidents,
  upcomingMaintenances,
  type IncidentView,
} from '#db/queries/index.ts';
import { PUBLIC_CACHE_CONTROL } from '../cache.ts';
import { CORS_HEADERS, serveCached } from '../http.ts';
import type { AppDeps } from '../context.ts';
import { v2ComponentList, v2Incident, v2Page } from '../render/v2.ts';
import { v2Maintenance } from '../render/v2Maintenance.ts';

/** Everything the v2 documents are built from; one read per rendering. */
function snapshot(db: Db, now: Date) {
  const catalogue = componentCatalogue(db);
  const unresolved = unresolvedIncidents(db, catalogue);
  const recent = recentIncidents(db, 50, catalogue);
  const active = activeMaintenances(db, catalogue);
  const upcoming = upcomingMaintenances(db, now, { catalogue });
  const maintenances = recentMaintenances(db, 50, catalogue);
  const { indicator, description } = overallStatusWithMaintenance(
    catalogue.all.map((c) => c.status),
    active.length > 0,
  );
  // A fault no published incident or window explains is said in words (Statuspage clients show
  // `description` as the page's headline): never "all is well" while monitoring sees a fault.
  const unexplained = unexplainedFaults(db, catalogue);
  const overall = {
    indicator,
    description: unexplained.length ? unexplained.map((f) => unexplainedFaultText(f)).join(' ') : description,
  };
  const stamps = [
    ...catalogue.all.map((c) => c.updatedAt),
    ...catalogue.groups.map((g) => g.updatedAt),
    ...recent.map((i) => i.updatedAt),
    ...maintenances.map((m) => m.updatedAt),
    ...upcoming.map((m) => m.updatedAt),
  ];
  const updatedAt = new Date(Math.max(0, ...stamps.map((d) => d.getTime())));
  return { catalogue, unresolved, recent, active, upcoming, maintenances, overall, updatedAt };
}

const documents: Record<string, (deps: AppDeps) => unknown> = {
  'summary.json': ({ db, config, now }) => {
    const s = snapshot(db, now());
    return {
      page: v2Page({ publicUrl: config.publicUrl, updatedAt: s.updatedAt }),
      components: v2ComponentList(s.catalogue.groups, s.catalogue.ungrouped),
      incidents: s.unresolved.map((i) => v2Incident(i, config.publicUrl)),
      scheduled_maintenances: [...s.upcoming, ...s.active].map((m) => v2Maintenance(m, config.publicUrl)),
      status: s.overall,
    };
  },
  'status.json': ({ db, config, now }) => {
    const s = snapshot(db, now());
    return { page: v2Page({ publicUrl: config.publicUrl, updatedAt: s.updatedAt }), status: s.overall };
  },
  'components.json': ({ db, config, now }) => {
    const s = snapshot(db, now());
    return {
      page: v2Page({ publicUrl: config.publicUrl, updatedAt: s.updatedAt }),
      components: v2ComponentList(s.catalogue.groups, s.catalogue.ungrouped),
    };
  },
  'incidents.json': ({ db, config, now }) => {
    const s = snapshot(db, now());
    return {
      page: v2Page({ publicUrl: config.publicUrl, updatedAt: s.updatedAt }),
      incidents: s.recent.map((i: IncidentView) => v2Incident(i, config.publicUrl)),
    };
  },
  'incidents/unresolved.json': ({ db, config, now }) => {
    const s = snapshot(db, now());
    return {
      page: v2Page({ publicUrl: config.publicUrl, updatedAt: s.updatedAt }),
      incidents: s.unresolved.map((i) => v2Incident(i, config.publicUrl)),
    };
  },
  // Cancelled windows are left out: Statuspage's maintenance statuses have no "cancelled".
  'scheduled-maintenances.json': ({ db, config, now }) => {
    const s = snapshot(db, now());
    return {
      page: v2Page({ publicUrl: config.publicUrl, updatedAt: s.updatedAt }),
      scheduled_maintenances: s.maintenances.map((m) => v2Maintenance(m, config.publicUrl)),
    };
  },
  'scheduled-maintenances/upcoming.json': ({ db, config, now }) => {
    const s = snapshot(db, now());
    return {
      page: v2Page({ publicUrl: config.publicUrl, updatedAt: s.updatedAt }),
      scheduled_maintenances: s.upcoming.map((m) => v2Maintenance(m, config.publicUrl)),
    };
  },
  'scheduled-maintenances/active.json': ({ db, config, now }) => {
    const s = snapshot(db, now());
    return {
      page: v2Page({ publicUrl: config.publicUrl, updatedAt: s.updatedAt }),
      scheduled_maintenances: s.active.map((m) => v2Maintenance(m, config.publicUrl)),
    };
  },
};

/** Statuspage-compatible public read API, CORS open for GET. */
export function v2Routes(deps: AppDeps) {
  const app = new Hono();
  app.options('*', (c) => c.body(null, 204, CORS_HEADERS));
  for (const [path, build] of Object.entries(documents)) {
    app.get(`/${path}`, (c) =>
      serveCached(c, deps, `/api/v2/${path}`, () => ({
        body: JSON.stringify(build(deps)),
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': PUBLIC_CACHE_CONTROL,
          ...CORS_HEADERS,
        },
      })),
    );
  }
  return app;
}
