// Publishing or revising an incident report (postmortem). Every change is a new version and an
// audit row; the subscribers the incident notified can be sent the report through the outbox.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { REPORT_TEMPLATE } from '../domain/incidentReport.ts';
import { enqueueIncidentReportEmails } from '../notifications/subscribers.ts';
import { incidentReport, type IncidentReportView } from '../queries/incidentReports.ts';
import { incidentReportVersions, incidents } from '../schema/index.ts';
import { recordAudit } from './audit.ts';
import { CommandError, notFound } from './errors.ts';
import { bodyText, parseInput } from './input.ts';
import { runCommand, type CommandContext } from './transaction.ts';

export const incidentReportInput = z.strictObject({
  body: bodyText(
    'Escriba el informe: causa raíz, qué vieron los clientes, cronología y acciones correctivas.',
    'El informe',
  )
    // The console starts from the four headings: published as they are, they would say nothing.
    .refine(
      (body) => body.replace(/\s+/g, ' ').trim() !== REPORT_TEMPLATE.replace(/\s+/g, ' ').trim(),
      'Complete el informe: la plantilla está sin llenar.',
    ),
  /** Email the report to the subscribers the incident's notices reached. */
  notifySubscribers: z.boolean({ error: 'notify_subscribers debe ser true o false.' }).optional(),
});
export type IncidentReportInput = z.input<typeof incidentReportInput>;

export interface IncidentReportResult {
  report: IncidentReportView;
  /** False when the text was the current version's: nothing was written. */
  changed: boolean;
  /** Emails queued by this call. */
  emailed: number;
}

export function publishIncidentReport(
  db: Db,
  incidentId: string,
  raw: IncidentReportInput,
  ctx: CommandContext,
): IncidentReportResult {
  const input = parseInput(incidentReportInput, raw);
  return runCommand(db, () => {
    const incident = db
      .select({ id: incidents.id, status: incidents.status })
      .from(incidents)
      .where(eq(incidents.id, incidentId))
      .get();
    if (!incident) throw notFound('el incidente', incidentId);
    if (incident.status !== 'resolved') {
      throw new CommandError(
        409,
        'incident_not_resolved',
        'El informe del incidente se publica cuando el incidente está resuelto.',
      );
    }
    const current = incidentReport(db, incidentId);
    const changed = !current || current.body !== input.body;
    let version = current?.version ?? 0;
    if (changed) {
      version += 1;
      db.insert(incidentReportVersions)
        .values({ incidentId, version, body: input.body, author: ctx.actor.name, createdAt: ctx.now })
        .run();
      recordAudit(
        db,
        ctx.actor,
        version === 1 ? 'incident.report.publish' : 'incident.report.revise',
        { type: 'incident', id: incidentId },
        ctx.now,
        { version, characters: input.body.length },
      );
    }
    const emailed = input.notifySubscribers ? enqueueIncidentReportEmails(db, incidentId, version, ctx.now) : 0;
    if (emailed > 0)
      recordAudit(db, ctx.actor, 'incident.report.email', { type: 'incident', id: incidentId }, ctx.now, {
        version,
        recipients: emailed,
      });
    return { report: incidentReport(db, incidentId)!, changed, emailed };
  });
}
