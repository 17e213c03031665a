// Incident reports ("Informe del incidente"): the current version of each, with its history.
import type { Db } from '../client.ts';
import { renderReportMarkdown } from '../domain/incidentReport.ts';
import { statementCacheOf } from '../statementCache.ts';
import { chunked } from './batch.ts';
import { monthBounds } from './history.ts';

export interface IncidentReportView {
  incidentId: string;
  version: number;
  /** Markdown as written. */
  body: string;
  /** Rendered and sanitised (renderReportMarkdown). */
  html: string;
  /** When version 1 was published. */
  publishedAt: Date;
  /** When the current version was written ("última revisión"). */
  revisedAt: Date;
  author: string;
  /** Every version, newest first, without bodies. */
  versions: Array<{ version: number; createdAt: Date; author: string }>;
}

interface VersionRow {
  incident_id: string;
  version: number;
  body: string;
  author: string;
  created_at: number;
}

function views(rows: VersionRow[]): Map<string, IncidentReportView> {
  const byIncident = new Map<string, VersionRow[]>();
  for (const r of rows) {
    const list = byIncident.get(r.incident_id);
    if (list) list.push(r);
    else byIncident.set(r.incident_id, [r]);
  }
  const out = new Map<string, IncidentReportView>();
  for (const [incidentId, list] of byIncident) {
    list.sort((a, b) => b.version - a.version);
    const current = list[0];
    out.set(incidentId, {
      incidentId,
      version: current.version,
      body: current.body,
      html: renderReportMarkdown(current.body),
      publishedAt: new Date(list[list.length - 1].created_at),
      revisedAt: new Date(current.created_at),
      author: current.author,
      versions: list.map((v) => ({ version: v.version, createdAt: new Date(v.created_at), author: v.author })),
    });
  }
  return out;
}

/** The reports of these incidents (those that have one), by incident id. */
export function incidentReports(db: Db, incidentIds: string[]): Map<string, IncidentReportView> {
  // From the connection's statement cache: every incident page asks for its report (compiling
  // the statement each time was 2.5 CPU-s of each render worker of a 20,000-incident export).
  const statement = (n: number) => {
    const text = `SELECT incident_id, version, body, author, created_at FROM incident_report_versions WHERE incident_id IN (${Array(n).fill('?').join(', ')})`;
    return statementCacheOf(db)?.statement(text, 'objects') ?? db.$client.prepare(text);
  };
  return views(chunked(incidentIds, (part) => statement(part.length).all(...part) as VersionRow[]));
}

export function incidentReport(db: Db, incidentId: string): IncidentReportView | null {
  return incidentReports(db, [incidentId]).get(incidentId) ?? null;
}

export interface ListedReport {
  incidentId: string;
  name: string;
  startedAt: Date;
  report: IncidentReportView;
}

/** Reports of the incidents that started in [from, to), by the incident's start. */
export function reportsOfIncidentsBetween(db: Db, from: Date, to: Date): ListedReport[] {
  const incidents = db.$client
    .prepare(
      `SELECT i.id, i.name, i.started_at FROM incidents i
      WHERE i.started_at >= ? AND i.started_at < ? AND EXISTS (SELECT 1 FROM incident_report_versions v WHERE v.incident_id = i.id)
      ORDER BY i.started_at, i.id`,
    )
    .all(from.getTime(), to.getTime()) as Array<{ id: string; name: string; started_at: number }>;
  const reports = incidentReports(
    db,
    incidents.map((i) => i.id),
  );
  return incidents.map((i) => ({
    incidentId: i.id,
    name: i.name,
    startedAt: new Date(i.started_at),
    report: reports.get(i.id)!,
  }));
}

/** The reports of a month's incidents, for /disponibilidad. */
export function monthReports(db: Db, month: string): ListedReport[] {
  const { from, to } = monthBounds(month);
  return reportsOfIncidentsBetween(db, from, to);
}
