// /noc/incidentes/:id/informe: writing and revising the incident report (postmortem). The page
// renders; this module decides; publishIncidentReport enforces (resolved incidents only, the
// text rule, versions and audit).
import { submitOnce } from '#db/commands/consoleForms.ts';
import { publishIncidentReport } from '#db/commands/incidentReports.ts';
import { REPORT_TEMPLATE, renderReportMarkdown } from '#db/domain/incidentReport.ts';
import {
  incidentDetail,
  incidentNotifiedSubscribers,
  incidentReport,
  type IncidentReportView,
  type IncidentView,
} from '#db/queries/index.ts';
import { contextOf, formToken, refusal, refusalStatus, type ConsoleRequest, type Redirect } from './action.ts';
import { randomToken } from './session.ts';

export interface ReportEditorView {
  incident: IncidentView;
  report: IncidentReportView | null;
  /** The text in the editor. */
  body: string;
  notify: boolean;
  /** How many subscribers the incident's notices reached (who the email would go to). */
  audience: number;
  /** The rendered text after «Vista previa», exactly as the page will show it. */
  preview: string | null;
  errors: Record<string, string>;
  idem: string;
}

export function incidentReportPage(
  req: ConsoleRequest,
  id: string,
  form?: FormData,
): Redirect | { status: number; view: ReportEditorView | null } {
  const incident = incidentDetail(req.db, id);
  if (!incident) return { status: 404, view: null };
  const report = incidentReport(req.db, incident.id);
  const view: ReportEditorView = {
    incident,
    report,
    body: report?.body ?? REPORT_TEMPLATE,
    notify: false,
    audience: incidentNotifiedSubscribers(req.db, incident.id).length,
    preview: null,
    errors: {},
    idem: randomToken(),
  };
  if (!form) return { status: 200, view };
  // The text as typed: a report's line breaks and indentation are Markdown.
  const body = typeof form.get('body') === 'string' ? String(form.get('body')).replace(/\r\n?/g, '\n') : '';
  view.body = body;
  view.notify = form.get('notificar') === '1';
  const sent = formToken(form);
  if (sent) view.idem = sent;
  if (form.get('accion') === 'vista-previa') {
    view.preview = renderReportMarkdown(body);
    return { status: 200, view };
  }
  try {
    const { location } = submitOnce(req.db, sent, req.session.user.id, req.now, () => {
      const result = publishIncidentReport(
        req.db,
        incident.id,
        { body, notifySubscribers: view.notify },
        contextOf(req),
      );
      const aviso =
        !result.changed && result.emailed === 0
          ? 'sin-cambios'
          : result.report.version === 1
            ? 'publicado'
            : 'revisado';
      return `/noc/incidentes/${incident.id}/informe?aviso=${aviso}${result.emailed ? `&enviados=${result.emailed}` : ''}`;
    });
    return { redirect: location };
  } catch (err) {
    view.errors = refusal(err, (path) => (path === 'body' ? 'body' : path));
    return { status: refusalStatus(err), view };
  }
}
