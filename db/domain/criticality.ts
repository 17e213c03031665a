// Criticality (the manual's «criticidad», section 1.3) from what components show: the one table
// behind every default criticality (alert drafts, the composer, its templates, incidents created
// through the API without one) and behind the first-response table customers read on /soporte and
// /mi-servicio. The field is Statuspage's `impact` (none|minor|major|critical), shown as
// Informativo|Baja|Media|Alta (db/enums.ts); its meaning does not change, only how it is chosen.
import {
  componentStatusShortLabels,
  incidentImpacts,
  incidentImpactLabels,
  slaByImpact,
  type ComponentStatus,
  type IncidentImpact,
} from '../enums.ts';
import { compareSeverity } from './rollup.ts';

/**
 * Manual 1.3: «Caída total» → Alta (< 30 min); «Degradación del servicio» → Media (< 2 h), and a
 * slow («Baja velocidad») or intermittent («Intermitencia») service is a degradation; «Consultas»
 * → Baja, which no component status means. Operational and maintenance carry no commitment.
 */
export const criticalityByStatus: Readonly<Record<ComponentStatus, IncidentImpact>> = {
  major_outage: 'critical',
  partial_outage: 'major',
  degraded_performance: 'major',
  under_maintenance: 'none',
  operational: 'none',
};

/** The criticality a set of component statuses implies: the highest any of them means. */
export function impactForStatuses(statuses: Iterable<ComponentStatus>): IncidentImpact {
  let worst: IncidentImpact = 'none';
  for (const s of statuses) {
    const impact = criticalityByStatus[s];
    if (incidentImpacts.indexOf(impact) > incidentImpacts.indexOf(worst)) worst = impact;
  }
  return worst;
}

/** The criticalities with a first-response commitment, worst first (Alta, Media, Baja). */
export const committedImpacts = ['critical', 'major', 'minor'] as const satisfies readonly IncidentImpact[];
export type CommittedImpact = (typeof committedImpacts)[number];

const meaningHead: Record<CommittedImpact, string> = {
  critical: 'Caída total',
  major: 'Degradación del servicio',
  minor: 'Consultas',
};

/**
 * What a criticality means to a customer, named with the statuses the page shows for it:
 * «Caída total: sin servicio», «Degradación del servicio: intermitencia o baja velocidad».
 */
export function criticalityMeaning(impact: CommittedImpact): string {
  const statuses = (Object.keys(criticalityByStatus) as ComponentStatus[])
    .filter((s) => criticalityByStatus[s] === impact)
    .sort(compareSeverity)
    .map((s) => componentStatusShortLabels[s].toLowerCase());
  return statuses.length ? `${meaningHead[impact]}: ${statuses.join(' o ')}` : meaningHead[impact];
}

export interface CriticalityRow {
  impact: CommittedImpact;
  /** «Alta», «Media», «Baja». */
  label: string;
  meaning: string;
  /** «menos de 30 minutos». */
  firstResponse: string;
}

/** The first-response table (manual 1.3) as /soporte and /mi-servicio print it. */
export const criticalityTable: readonly CriticalityRow[] = committedImpacts.map((impact) => ({
  impact,
  label: incidentImpactLabels[impact],
  meaning: criticalityMeaning(impact),
  firstResponse: slaByImpact[impact].label,
}));
