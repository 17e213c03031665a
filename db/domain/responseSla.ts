// The manual's first-response commitment (section 1.3), measured after the fact: from an
// incident's start to its first public update, against its criticality's target. The deadline
// is the console's (slaState: minutes, or business minutes for Baja), so the dashboard's clock
// and the monthly figures cannot disagree.
import { incidentImpacts, slaByImpact, type IncidentImpact } from '../enums.ts';
import { slaState } from './businessHours.ts';

export interface FirstResponse {
  impact: IncidentImpact;
  /** The first alert that opened the incident, else its started_at. */
  start: Date;
  /** The first public update (the incident's publication). */
  firstUpdateAt: Date;
  elapsedMs: number;
  /** Null for an impact without a commitment (Informativo). */
  dueAt: Date | null;
  /** Null when there is no commitment. */
  met: boolean | null;
}

export function firstResponse(impact: IncidentImpact, start: Date, firstUpdateAt: Date): FirstResponse {
  const state = slaState(impact, start, firstUpdateAt);
  return {
    impact,
    start,
    firstUpdateAt,
    elapsedMs: Math.max(0, firstUpdateAt.getTime() - start.getTime()),
    dueAt: state.dueAt,
    met: state.dueAt === null ? null : !state.overdue,
  };
}

export interface ResponseShare {
  impact: IncidentImpact;
  /** "menos de 30 minutos". */
  target: string;
  incidents: number;
  onTime: number;
  late: number;
  /** Share on time, 0–100, or null with no incident of that criticality. */
  percent: number | null;
}

/** The share on time per criticality with a commitment, worst criticality first (Alta, Media, Baja). */
export function responseShares(measures: readonly FirstResponse[]): ResponseShare[] {
  return [...incidentImpacts]
    .reverse()
    .filter((impact) => slaByImpact[impact].minutes !== null)
    .map((impact) => {
      const of = measures.filter((m) => m.impact === impact);
      const onTime = of.filter((m) => m.met === true).length;
      return {
        impact,
        target: slaByImpact[impact].label,
        incidents: of.length,
        onTime,
        late: of.length - onTime,
        percent: of.length ? (100 * onTime) / of.length : null,
      };
    });
}
