// "When monitoring saw a fault, no page may deny it." The one answer to "which components are
// at fault with nothing published that explains them?": a component whose status is a fault
// (degraded, partial or total outage: an alert set it, or the NOC did without an incident) and
// that no open incident and no maintenance window in progress holds. `/`, `/zonas/:slug`,
// `/autodiagnostico`, `/mi-servicio/:id`, `/status.txt` and the v2 `status.description` all
// read it, and say so with `unexplainedFaultText`.
import type { Db } from '../client.ts';
import { isFault } from '../domain/rollup.ts';
import { faultSince, timelineFromStatements, type StatusStatement } from '../domain/timeline.ts';
import { formatDate, formatTime, ZONE_LABEL } from '../domain/time.ts';
import type { ComponentStatus } from '../enums.ts';
import { componentCatalogue, type Catalogue, type ComponentView } from './catalog.ts';
import { componentHolders, type ComponentHolder } from './holders.ts';

export interface UnexplainedFault {
  component: ComponentView;
  /** Since when it has been at fault without a break, by the effective times of its changes. */
  since: Date;
}

/** Components at fault that no open incident or window in progress explains, in catalogue order. */
export function unexplainedFaults(
  db: Db,
  catalogue: Catalogue = componentCatalogue(db),
  holders: ReadonlyMap<string, readonly ComponentHolder[]> = componentHolders(db),
): UnexplainedFault[] {
  const faults = catalogue.all.filter((c) => isFault(c.status) && (holders.get(c.id)?.length ?? 0) === 0);
  if (faults.length === 0) return [];
  const events = db.$client.prepare(
    `SELECT effective_at AS effectiveAt, status FROM component_status_events
      WHERE component_id = ? ORDER BY at, id`,
  );
  return faults.map((component) => {
    const statements = events.all(component.id) as Array<{ effectiveAt: number; status: ComponentStatus }>;
    const since = faultSince(timelineFromStatements(statements as StatusStatement[]));
    return { component, since: since ?? component.updatedAt };
  });
}

/**
 * «Nuestro monitoreo detectó una falla en Metepec · Fibra óptica a las 14:05 del 7 de diciembre
 * de 2026; la estamos verificando.» The date is always there: a published page is read later.
 * `zone` adds the zone's name (pages that do not say it elsewhere).
 */
export function unexplainedFaultText(fault: UnexplainedFault, options: { zone?: boolean } = {}): string {
  const zone = options.zone ? ` (${ZONE_LABEL})` : '';
  return `Nuestro monitoreo detectó una falla en ${fault.component.fullName} a las ${formatTime(fault.since)} del ${formatDate(fault.since)}${zone}; la estamos verificando.`;
}
