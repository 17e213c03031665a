// Turns an email outbox row into the message a transport sends. Deterministic: the same row
// always renders the same message, so a re-sent batch matches its idempotency key.
import type { Db } from '#db/client.ts';
import type { OutboxRow } from '#db/outbox/worker.ts';
import { emailNotice } from '#db/queries/subscribers.ts';
import { feasibilityRequestById } from '#db/queries/coverage.ts';
import { feasibilityServiceLabels } from '#db/domain/coverage.ts';
import { maintenanceDetail } from '#db/queries/maintenances.ts';
import { maintenanceIcs } from '../render/maintenanceIcs.ts';
import type { EmailPayload, NoticeProps } from '#db/subscriptions/payload.ts';
import { DEFAULT_MAIL_FROM, type Config } from '../config.ts';
import { recipientReason } from '#db/domain/noticeWording.ts';
import {
  alreadySubscribedEmail,
  carriesCalendar,
  confirmationEmail,
  feasibilityEmail,
  incidentEmail,
  incidentReportEmail,
  maintenanceEmail,
  statementEmail,
  type EmailContent,
  type SubscriptionLinks,
} from './templates.ts';

export interface OutgoingEmail extends EmailContent {
  from: string;
  to: string;
  replyTo?: string;
  headers: Record<string, string>;
}

export function subscriptionLinks(publicUrl: string, manageToken: string): SubscriptionLinks & { oneClickUrl: string } {
  const t = encodeURIComponent(manageToken);
  return {
    manageUrl: `${publicUrl}/suscripcion/preferencias?token=${t}`,
    unsubscribeUrl: `${publicUrl}/suscripcion/baja?token=${t}`,
    oneClickUrl: `${publicUrl}/api/v1/subscribers/unsubscribe?token=${t}`,
  };
}

/** Internal mail to the coverage team: replies go straight to the customer; no subscription links. */
function feasibilityMessage(db: Db, config: Config, row: OutboxRow, requestId: string): OutgoingEmail {
  const request = feasibilityRequestById(db, requestId);
  if (!request) throw new Error(`Solicitud de factibilidad ${requestId} inexistente.`);
  return {
    ...feasibilityEmail({ ...request, serviceLabel: feasibilityServiceLabels[request.service], at: request.createdAt }),
    from: config.mailFrom ?? DEFAULT_MAIL_FROM,
    to: row.recipient,
    replyTo: request.email,
    headers: {},
  };
}

function contentFor(
  payload: Exclude<EmailPayload, { template: 'feasibility' }>,
  notice: NoticeProps | null,
  publicUrl: string,
  links: SubscriptionLinks,
  calendarFor: (maintenanceId: string) => string | null,
): EmailContent {
  switch (payload.template) {
    case 'confirm':
      return confirmationEmail({
        confirmUrl: `${publicUrl}/suscripcion/confirmar?token=${encodeURIComponent(payload.confirmToken)}`,
        expiresAt: new Date(payload.expiresAt),
        scope: payload.scope ?? null,
        links,
      });
    case 'already_subscribed':
      return alreadySubscribedEmail({ links });
    case 'statement':
      return statementEmail({
        statement: payload.statement,
        statementUrl: `${publicUrl}/mi-servicio/${encodeURIComponent(payload.statement.serviceId)}/reporte/${payload.statement.month}`,
        links,
        reason: { kind: 'contact', serviceIds: [payload.statement.serviceId] },
      });
    case 'notice':
      if (!notice) throw new Error(`Aviso ${payload.notice} inexistente.`);
      if (notice.kind === 'report') {
        return incidentReportEmail({
          name: notice.name,
          impactLabel: notice.impactLabel,
          version: notice.version,
          markdown: notice.markdown,
          html: notice.html,
          at: new Date(notice.at),
          reportUrl: `${publicUrl}/incidentes/${notice.incidentId}#informe`,
          links,
        });
      }
      const reason = recipientReason(payload.services, payload.technicalContact ? 'technical_contact' : 'public');
      if (notice.kind === 'incident') {
        return incidentEmail({
          event: notice.event,
          name: notice.name,
          status: notice.status,
          statusLabel: notice.statusLabel,
          impactLabel: notice.impactLabel,
          areas: notice.areas,
          body: notice.body,
          cause: notice.cause,
          eta: notice.eta ? new Date(notice.eta) : null,
          startedAt: notice.startedAt ? new Date(notice.startedAt) : null,
          resolvedAt: notice.resolvedAt ? new Date(notice.resolvedAt) : null,
          at: new Date(notice.at),
          incidentUrl: `${publicUrl}/incidentes/${notice.incidentId}`,
          links,
          services: payload.services,
          reason,
        });
      }
      return maintenanceEmail({
        event: notice.event,
        name: notice.name,
        areas: notice.areas,
        body: notice.body,
        window:
          notice.scheduledFor && notice.scheduledUntil
            ? { from: new Date(notice.scheduledFor), until: new Date(notice.scheduledUntil) }
            : null,
        previousWindow:
          notice.previousFor && notice.previousUntil
            ? { from: new Date(notice.previousFor), until: new Date(notice.previousUntil) }
            : null,
        impactLabel: notice.impactLabel ?? null,
        impactKind: notice.impactKind ?? null,
        startedAt: notice.startedAt ? new Date(notice.startedAt) : null,
        completedAt: notice.completedAt ? new Date(notice.completedAt) : null,
        at: new Date(notice.at),
        maintenanceUrl: `${publicUrl}/mantenimiento/${notice.maintenanceId}`,
        calendarUrl: `${publicUrl}/mantenimiento/${notice.maintenanceId}.ics`,
        links,
        services: payload.services,
        reason,
        ...(carriesCalendar(notice.event) ? { calendar: calendarFor(notice.maintenanceId) ?? undefined } : {}),
      });
  }
}

/**
 * A composer for one batch: notices and calendars are read once per batch, not once per
 * recipient. A maintenance notice that changes the agenda carries the window's calendar
 * (`EmailContent.calendar`); each transport decides how it travels.
 */
export function emailComposer(db: Db, config: Config) {
  const notices = new Map<string, NoticeProps | null>();
  // The window's calendar event as it stands (latest SEQUENCE), so the customer's calendar
  // replaces the earlier version of the same UID.
  const calendars = new Map<string, string | null>();
  const icsFor = (maintenanceId: string): string | null => {
    if (!calendars.has(maintenanceId)) {
      const view = maintenanceDetail(db, maintenanceId);
      calendars.set(
        maintenanceId,
        view ? maintenanceIcs([view], { publicUrl: config.publicUrl, calendarName: 'Mantenimiento SOMNET' }) : null,
      );
    }
    return calendars.get(maintenanceId)!;
  };
  return (row: OutboxRow): OutgoingEmail => {
    const payload = JSON.parse(row.payload) as EmailPayload;
    if (payload.template === 'feasibility') return feasibilityMessage(db, config, row, payload.request);
    let notice: NoticeProps | null = null;
    if (payload.template === 'notice') {
      if (!notices.has(payload.notice)) notices.set(payload.notice, emailNotice(db, payload.notice));
      notice = notices.get(payload.notice)!;
    }
    const links = subscriptionLinks(config.publicUrl, payload.manageToken);
    const content = contentFor(payload, notice, config.publicUrl, links, icsFor);
    return {
      ...content,
      from: config.mailFrom ?? DEFAULT_MAIL_FROM,
      to: row.recipient,
      ...(config.mailReplyTo ? { replyTo: config.mailReplyTo } : {}),
      headers: {
        // RFC 8058: a POST to this URL with "List-Unsubscribe=One-Click" unsubscribes, no login.
        'List-Unsubscribe': `<${links.oneClickUrl}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    };
  };
}
