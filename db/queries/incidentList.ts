// The console's list of every incident (/noc/incidentes): open first, then resolved, newest
// first, a page at a time, with what the operator needs to find yesterday's incident and write
// its report — text or ID search, area, criticality, state and month filters, whether it has a
// report and how many audit rows name it.
import { and, desc, eq, gte, inArray, isNotNull, isNull, like, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { incidentImpacts, incidentStatuses, type IncidentImpact, type IncidentStatus } from '../enums.ts';
import { reportExpected } from '../domain/incidentReport.ts';
import { auditLog, components, incidentComponents, incidentReportVersions, incidents } from '../schema/index.ts';
import { hydrate, type IncidentView } from './incidents.ts';
import { isMonthKey, monthBounds } from './history.ts';

export const INCIDENT_LIST_PAGE_SIZE = 25;

/** «Abiertos», «Resueltos», or one incident status. */
export type IncidentListState = 'open' | 'resolved' | IncidentStatus;

export interface IncidentListFilter {
  /** Part of the title, the cause or the ID. */
  search?: string;
  /** A group (area) id: incidents affecting any of its components. */
  area?: string;
  impact?: IncidentImpact;
  state?: IncidentListState;
  /** "2026-11": incidents that started in that local month. */
  month?: string;
  page?: number;
}

export interface IncidentListRow {
  incident: IncidentView;
  /** Versions of its report (0: none yet). */
  reportVersions: number;
  /** Resolved Alta or Media without a report: the list says «sin informe». */
  reportMissing: boolean;
  /** Audit rows about this incident. */
  auditCount: number;
}

export interface IncidentList {
  rows: IncidentListRow[];
  page: number;
  hasMore: boolean;
  /** Incidents matching the filter, all pages. */
  total: number;
}

const isState = (v: string): v is IncidentListState =>
  v === 'open' || v === 'resolved' || (incidentStatuses as readonly string[]).includes(v);
const isImpact = (v: string): v is IncidentImpact => (incidentImpacts as readonly string[]).includes(v);

/** The filter from a query string's values, dropping what is not one of the choices. */
export function incidentListFilter(q: { get(name: string): string | null }): IncidentListFilter & { page: number } {
  const text = (name: string, max: number) => q.get(name)?.trim().slice(0, max) || undefined;
  const state = text('estado', 20);
  const impact = text('criticidad', 20);
  const month = text('mes', 7);
  return {
    search: text('q', 200),
    area: text('zona', 100),
    impact: impact && isImpact(impact) ? impact : undefined,
    state: state && isState(state) ? state : undefined,
    month: month && isMonthKey(month) ? month : undefined,
    page: Math.min(10_000, Math.max(1, Number.parseInt(q.get('pagina') ?? '1', 10) || 1)),
  };
}

export function incidentList(db: Db, filter: IncidentListFilter): IncidentList {
  const where: SQL[] = [];
  if (filter.search) {
    const words = filter.search.replace(/[%_]/g, '');
    const pattern = `%${words}%`;
    where.push(or(eq(incidents.id, words), like(incidents.name, pattern), like(incidents.cause, pattern))!);
  }
  if (filter.area) {
    const inArea = db
      .select({ id: incidentComponents.incidentId })
      .from(incidentComponents)
      .innerJoin(components, eq(components.id, incidentComponents.componentId))
      .where(eq(components.groupId, filter.area));
    where.push(inArray(incidents.id, inArea));
  }
  if (filter.impact) where.push(eq(incidents.impact, filter.impact));
  if (filter.state === 'open') where.push(isNull(incidents.resolvedAt));
  else if (filter.state === 'resolved') where.push(isNotNull(incidents.resolvedAt));
  else if (filter.state) where.push(eq(incidents.status, filter.state));
  if (filter.month) {
    const { from, to } = monthBounds(filter.month);
    where.push(gte(incidents.startedAt, from), lt(incidents.startedAt, to));
  }
  const condition = where.length ? and(...where) : undefined;
  const page = Math.max(1, filter.page ?? 1);
  const total =
    db
      .select({ n: sql<number>`count(*)` })
      .from(incidents)
      .where(condition)
      .get()?.n ?? 0;
  const rows = db
    .select()
    .from(incidents)
    .where(condition)
    // Open first (resolved_at null), then newest first.
    .orderBy(sql`${incidents.resolvedAt} is not null`, desc(incidents.startedAt), desc(sql`rowid`))
    .limit(INCIDENT_LIST_PAGE_SIZE + 1)
    .offset((page - 1) * INCIDENT_LIST_PAGE_SIZE)
    .all();
  const shown = hydrate(db, rows.slice(0, INCIDENT_LIST_PAGE_SIZE));
  const ids = shown.map((i) => i.id);
  const reports = new Map(
    ids.length
      ? db
          .select({ id: incidentReportVersions.incidentId, n: sql<number>`count(*)` })
          .from(incidentReportVersions)
          .where(inArray(incidentReportVersions.incidentId, ids))
          .groupBy(incidentReportVersions.incidentId)
          .all()
          .map((r) => [r.id, r.n])
      : [],
  );
  const audits = new Map(
    ids.length
      ? db
          .select({ id: auditLog.subjectId, n: sql<number>`count(*)` })
          .from(auditLog)
          .where(and(eq(auditLog.subjectType, 'incident'), inArray(auditLog.subjectId, ids)))
          .groupBy(auditLog.subjectId)
          .all()
          .map((r) => [r.id, r.n])
      : [],
  );
  return {
    rows: shown.map((incident) => {
      const reportVersions = reports.get(incident.id) ?? 0;
      return {
        incident,
        reportVersions,
        reportMissing: reportVersions === 0 && reportExpected(incident),
        auditCount: audits.get(incident.id) ?? 0,
      };
    }),
    page,
    hasMore: rows.length > INCIDENT_LIST_PAGE_SIZE,
    total,
  };
}
