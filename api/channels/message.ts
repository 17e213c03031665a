// What one outbox row of a non-email channel says, before a provider's format: a notice (title,
// a sentence in the event's tense, facts, links), a phone's code, or a chat's confirmation card.
// Deterministic: the same row always gives the same message, so a retry sends the same text.
import type { Db } from '#db/client.ts';
import type { OutboxRow } from '#db/outbox/worker.ts';
import { emailNotice } from '#db/queries/subscribers.ts';
import type { EmailPayload, NoticeProps } from '#db/subscriptions/payload.ts';
import {
  durationPhrase,
  noticeMoment,
  noticeSummary,
  recipientReason,
  recipientReasonSentence,
  type NoticeFacts,
  type NoticeMoment,
} from '#db/domain/noticeWording.ts';
import { formatDateTime, ZONE_LABEL } from '#db/domain/time.ts';
import { ETA_UNKNOWN } from '#db/enums.ts';
import { CHANNELS, type SubscriberChannel } from '#db/subscriptions/channels.ts';
import { subscriptionLinks } from '../email/compose.ts';

export type ChannelMessage =
  | {
      kind: 'notice';
      moment: NoticeMoment;
      /** «Corte de fibra en Metepec» / «Mantenimiento programado: Cambio de tarjetas…». */
      title: string;
      /** The tensed sentence (the recipient's services, or the zones). */
      summary: string;
      facts: Array<[string, string]>;
      /** The incident's or window's page, and its path (WhatsApp's URL button takes the path). */
      url: string;
      path: string;
      /** The recipient's own link to stop these notices. */
      leaveUrl: string;
      /** The manage token, for channels whose buttons take a URL suffix. */
      token: string;
      reason: string;
    }
  | { kind: 'code'; code: string; expiresAt: Date }
  | { kind: 'confirm'; confirmUrl: string; scope: string[]; expiresAt: Date; leaveUrl: string };

const when = (d: Date) => `${formatDateTime(d)} (${ZONE_LABEL})`;

function factsOf(notice: NoticeProps): NoticeFacts | null {
  if (notice.kind === 'incident')
    return {
      kind: 'incident',
      event: notice.event,
      status: notice.status,
      startedAt: notice.startedAt ? new Date(notice.startedAt) : null,
      resolvedAt: notice.resolvedAt ? new Date(notice.resolvedAt) : null,
      at: new Date(notice.at),
    };
  if (notice.kind === 'maintenance')
    return {
      kind: 'maintenance',
      event: notice.event,
      window:
        notice.scheduledFor && notice.scheduledUntil
          ? { from: new Date(notice.scheduledFor), until: new Date(notice.scheduledUntil) }
          : null,
      startedAt: notice.startedAt ? new Date(notice.startedAt) : null,
      completedAt: notice.completedAt ? new Date(notice.completedAt) : null,
      impactKind: notice.impactKind ?? null,
      at: new Date(notice.at),
    };
  return null;
}

const maintenanceTitle: Record<string, string> = {
  'maintenance.announced': 'Mantenimiento programado',
  'maintenance.reminder': 'Recordatorio de mantenimiento',
  'maintenance.started': 'Mantenimiento en curso',
  'maintenance.completed': 'Mantenimiento concluido',
  'maintenance.cancelled': 'Mantenimiento cancelado',
  'maintenance.rescheduled': 'Mantenimiento reprogramado',
};

/** A composer for one channel: notices are read once per composer. */
export function channelComposer(db: Db, publicUrl: string, channel: SubscriberChannel) {
  const notices = new Map<string, NoticeProps | null>();
  return (row: OutboxRow): ChannelMessage => {
    const payload = JSON.parse(row.payload) as EmailPayload | { template: 'code'; code: string; expiresAt: string };
    if (payload.template === 'code')
      return { kind: 'code', code: payload.code, expiresAt: new Date(payload.expiresAt) };
    if (payload.template === 'confirm')
      return {
        kind: 'confirm',
        confirmUrl: `${publicUrl}/suscripcion/confirmar?token=${encodeURIComponent(payload.confirmToken)}`,
        scope: payload.scope ?? [],
        expiresAt: new Date(payload.expiresAt),
        leaveUrl: subscriptionLinks(publicUrl, payload.manageToken).unsubscribeUrl,
      };
    if (payload.template !== 'notice') throw new Error(`Plantilla «${payload.template}» no se envía por ${channel}.`);
    if (!notices.has(payload.notice)) notices.set(payload.notice, emailNotice(db, payload.notice));
    const notice = notices.get(payload.notice);
    if (!notice) throw new Error(`Aviso ${payload.notice} inexistente.`);
    const facts = factsOf(notice);
    if (!facts || notice.kind === 'report') throw new Error(`El aviso ${payload.notice} no se envía por ${channel}.`);
    const moment = noticeMoment(facts);
    const path =
      notice.kind === 'incident' ? `incidentes/${notice.incidentId}` : `mantenimiento/${notice.maintenanceId}`;
    const rows: Array<[string, string]> = [];
    if (notice.kind === 'incident') {
      rows.push(['Estado', notice.statusLabel], ['Criticidad', notice.impactLabel]);
      if (notice.cause) rows.push(['Causa', notice.cause]);
      if (moment.tense === 'past') rows.push(['Duración', durationPhrase(moment.from, moment.until)]);
      else if (moment.tense === 'present')
        rows.push(['Restablecimiento estimado', notice.eta ? when(new Date(notice.eta)) : ETA_UNKNOWN]);
    } else if (notice.impactLabel) rows.push(['Afectación esperada', notice.impactLabel]);
    const reason = recipientReason(payload.services, payload.technicalContact ? 'technical_contact' : 'public');
    return {
      kind: 'notice',
      moment,
      title: notice.kind === 'incident' ? notice.name : `${maintenanceTitle[notice.event]}: ${notice.name}`,
      summary: noticeSummary(facts, notice.areas, payload.services),
      facts: rows,
      url: `${publicUrl}/${path}`,
      path,
      leaveUrl: subscriptionLinks(publicUrl, payload.manageToken).unsubscribeUrl,
      token: payload.manageToken,
      reason: recipientReasonSentence(reason, CHANNELS[channel].where),
    };
  };
}
