// Spanish email templates: each a pure function of typed props returning { subject, text, html }.
// Plain, table-free HTML with inline styles that common clients render; no remote images.
import { COMPENSATION_BONUS, formatPercent, PARTIAL_OUTAGE_WEIGHT } from '#db/domain/availability.ts';
import { formatDateTime, formatDuration, formatMonth, formatWindow, ZONE_LABEL } from '#db/domain/time.ts';
import { EMERGENCY_PHONE, PORTAL_URL, SUPPORT_EMAIL } from '#db/supportChannels.ts';
import type { StatementProps } from '#db/subscriptions/payload.ts';
import {
  affectedAreasLabel,
  affectedServicesSentence,
  durationPhrase,
  noticeMoment,
  recipientReasonSentence,
  windowPhrase,
  type NamedService,
  type NoticeFacts,
  type RecipientReason,
} from '#db/domain/noticeWording.ts';
import { ETA_UNKNOWN, type MaintenanceImpactKind } from '#db/enums.ts';
import { escapeHtml } from '../render/html.ts';

export interface EmailAttachment {
  filename: string;
  content: string;
  contentType: string;
}

/**
 * An iCalendar object the message carries (RFC 6047, iMIP): a `text/calendar; method=…` part
 * beside the text and HTML, so mail clients offer "add to calendar", and the same file attached.
 * PUBLISH: a notice of an event, nobody is asked to answer (RFC 5546 §3.2.1).
 */
export interface EmailCalendar {
  content: string;
  method: 'PUBLISH';
  filename: string;
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
  attachments?: EmailAttachment[];
  calendar?: EmailCalendar;
}

/** Links every message carries (RFC 8058 one-click URL goes in the List-Unsubscribe header). */
export interface SubscriptionLinks {
  manageUrl: string;
  unsubscribeUrl: string;
}

const when = (d: Date) => `${formatDateTime(d)} (${ZONE_LABEL})`;

/** Why the reader gets this message: a confirmation goes to an address that has not subscribed yet. */
const SUBSCRIBED_REASON = recipientReasonSentence({ kind: 'subscribed' });
const PENDING_REASON =
  'Recibe este correo porque se pidió suscribir esta dirección a las notificaciones de estado de SOMNET.';

/** A technical contact never signed up: it stops notices rather than cancelling a subscription. */
const unsubscribeLabel = (reason?: RecipientReason) =>
  reason && reason.kind !== 'subscribed' ? 'Dejar de recibir estos avisos' : 'Cancelar suscripción';

function layout(
  title: string,
  bodyHtml: string,
  links: SubscriptionLinks | null,
  reasonText = SUBSCRIBED_REASON,
  reason?: RecipientReason,
): string {
  const footer = links
    ? `<p style="font-size:13px;color:#59636e">${escapeHtml(reasonText)}
<a href="${escapeHtml(links.manageUrl)}">Administrar preferencias</a> · <a href="${escapeHtml(links.unsubscribeUrl)}">${unsubscribeLabel(reason)}</a></p>`
    : '';
  return `<!doctype html>
<html lang="es-MX"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;background:#ffffff">
<div style="max-width:600px;margin:0 auto">
<p style="font-weight:bold;font-size:16px;margin:0 0 12px">SOMNET · Estado de la red</p>
${bodyHtml}
<hr style="border:0;border-top:1px solid #d1d9e0;margin:24px 0 12px">
<p style="font-size:13px;color:#59636e">Soporte: ${escapeHtml(SUPPORT_EMAIL)} · Emergencias (caída total): ${escapeHtml(EMERGENCY_PHONE)}</p>
${footer}
</div></body></html>`;
}

/** The plain-text footer; with links, it says why the reader gets the message (as the HTML does). */
function textFooter(links: SubscriptionLinks | null, reason?: RecipientReason, reasonText?: string): string {
  const base = `\n--\nSoporte: ${SUPPORT_EMAIL} · Emergencias (caída total): ${EMERGENCY_PHONE}\n`;
  return links
    ? `${base}${reasonText ?? recipientReasonSentence(reason)}\nAdministrar preferencias: ${links.manageUrl}\n${unsubscribeLabel(reason)}: ${links.unsubscribeUrl}\n`
    : base;
}

function factsHtml(rows: Array<[string, string]>): string {
  return `<dl style="margin:12px 0">${rows.map(([k, v]) => `<dt style="font-weight:bold">${escapeHtml(k)}</dt><dd style="margin:0 0 8px 0">${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

function factsText(rows: Array<[string, string]>): string {
  return rows.map(([k, v]) => `${k}: ${v}`).join('\n');
}

function button(url: string, label: string): string {
  return `<p style="margin:20px 0"><a href="${escapeHtml(url)}" style="display:inline-block;background:#0550ae;color:#ffffff;padding:10px 16px;border-radius:6px;text-decoration:none;font-weight:bold">${escapeHtml(label)}</a></p>`;
}

export interface ConfirmationProps {
  confirmUrl: string;
  expiresAt: Date;
  /** What was asked for (chosenScope), listed so the reader can check it; null when not recorded. */
  scope: string[] | null;
  links: SubscriptionLinks;
}

export function confirmationEmail(p: ConfirmationProps): EmailContent {
  const subject = 'Confirme su suscripción a los avisos de SOMNET';
  const intro =
    'Recibimos una solicitud para enviar a esta dirección los avisos de incidentes y mantenimientos de la red de SOMNET.';
  const expiry = `El enlace vence el ${when(p.expiresAt)}. Si usted no lo solicitó, ignore este correo: no recibirá nada más.`;
  const scopeLead = 'Recibirá avisos de:';
  const scopeText = p.scope
    ? `\n\n${scopeLead}\n${p.scope.map((s) => `- ${s}`).join('\n')}\n(Puede cambiarlo después desde «Administrar preferencias».)`
    : '';
  const scopeHtml = p.scope
    ? `<p>${escapeHtml(scopeLead)}</p><ul>${p.scope.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul><p style="font-size:13px;color:#59636e">Puede cambiarlo después desde «Administrar preferencias».</p>`
    : '';
  return {
    subject,
    text: `${intro}${scopeText}\n\nPara confirmar, abra este enlace y pulse «Confirmar suscripción»:\n${p.confirmUrl}\n\n${expiry}\n${textFooter(p.links, undefined, PENDING_REASON)}`,
    html: layout(
      subject,
      `<h1 style="font-size:20px">Confirme su suscripción</h1><p>${escapeHtml(intro)}</p>${scopeHtml}${button(p.confirmUrl, 'Confirmar suscripción')}<p>${escapeHtml(expiry)}</p>`,
      p.links,
      PENDING_REASON,
    ),
  };
}

export function alreadySubscribedEmail(p: { links: SubscriptionLinks }): EmailContent {
  const subject = 'Su suscripción a los avisos de SOMNET ya está activa';
  const intro =
    'Alguien (quizá usted) pidió suscribir esta dirección a los avisos de estado de SOMNET, pero ya está suscrita. No cambiamos nada.';
  return {
    subject,
    text: `${intro}\n\nPara elegir qué zonas y servicios le interesan:\n${p.links.manageUrl}\n${textFooter(p.links)}`,
    html: layout(
      subject,
      `<h1 style="font-size:20px">Su suscripción ya está activa</h1><p>${escapeHtml(intro)}</p>${button(p.links.manageUrl, 'Administrar preferencias')}`,
      p.links,
    ),
  };
}

/** A customer service a notice is about, as the inventory names it (label for its technical contacts only). */
export type NoticeServiceLine = NamedService;

const serviceLead = (services: readonly NoticeServiceLine[] | undefined, facts: NoticeFacts) => {
  const line = affectedServicesSentence(services, facts);
  return { text: line ? `${line}\n\n` : '', html: line ? `<p><strong>${escapeHtml(line)}</strong></p>` : '' };
};

export interface IncidentEmailProps {
  event: 'incident.created' | 'incident.updated' | 'incident.resolved';
  name: string;
  /** The update's status (`monitoring`, `resolved`…): with the event, it sets the tense. */
  status: string;
  statusLabel: string;
  impactLabel: string;
  areas: string[];
  body: string;
  cause: string | null;
  eta: Date | null;
  /** When the outage began and, once resolved, when service came back (how long it lasted). */
  startedAt?: Date | null;
  resolvedAt?: Date | null;
  at: Date;
  incidentUrl: string;
  links: SubscriptionLinks;
  /** The recipient's affected services (technical contacts, subscribers of a service ID). */
  services?: NoticeServiceLine[];
  /** Why the recipient gets it (the footer); a public subscriber's by default. */
  reason?: RecipientReason;
}

const incidentPrefix: Record<IncidentEmailProps['event'], string> = {
  'incident.created': 'Incidente',
  'incident.updated': 'Actualización',
  'incident.resolved': 'Resuelto',
};

export function incidentEmail(p: IncidentEmailProps): EmailContent {
  const facts: NoticeFacts = {
    kind: 'incident',
    event: p.event,
    status: p.status,
    startedAt: p.startedAt,
    resolvedAt: p.resolvedAt,
    at: p.at,
  };
  const moment = noticeMoment(facts);
  // "[Resuelto] Corte… — Resuelto" said it twice: a resolution's prefix is its status already.
  const status = p.event === 'incident.resolved' ? '' : ` — ${p.statusLabel}`;
  const subject = `[${incidentPrefix[p.event]}] ${p.name}${status} (criticidad ${p.impactLabel.toLowerCase()})`;
  const rows: Array<[string, string]> = [
    ['Estado', p.statusLabel],
    ['Criticidad', p.impactLabel],
    [affectedAreasLabel(facts), p.areas.length ? p.areas.join(', ') : 'Sin componentes asociados'],
    ['Causa', p.cause ?? 'En investigación'],
  ];
  if (moment.tense === 'past') rows.push(['Duración de la falla', durationPhrase(moment.from, moment.until)]);
  else rows.push(['Tiempo estimado de restauración', p.eta ? when(p.eta) : ETA_UNKNOWN]);
  rows.push(['Publicado', when(p.at)]);
  const lead = serviceLead(p.services, facts);
  return {
    subject,
    text: `${lead.text}${p.name}\n\n${p.body}\n\n${factsText(rows)}\n\nDetalle y seguimiento: ${p.incidentUrl}\n${textFooter(p.links, p.reason)}`,
    html: layout(
      subject,
      `${lead.html}<h1 style="font-size:20px">${escapeHtml(p.name)}</h1><p style="white-space:pre-line">${escapeHtml(p.body)}</p>${factsHtml(rows)}${button(p.incidentUrl, 'Ver el incidente')}`,
      p.links,
      recipientReasonSentence(p.reason),
      p.reason,
    ),
  };
}

export interface IncidentReportEmailProps {
  name: string;
  impactLabel: string;
  version: number;
  /** The report as written: the plain-text part. */
  markdown: string;
  /** Rendered and sanitised by renderReportMarkdown: placed as it is. */
  html: string;
  at: Date;
  reportUrl: string;
  links: SubscriptionLinks;
}

export function incidentReportEmail(p: IncidentReportEmailProps): EmailContent {
  const subject = `[Informe del incidente] ${p.name}${p.version > 1 ? ' (revisado)' : ''}`;
  const lead = `SOMNET publicó el informe de un incidente que le avisamos: qué lo causó, qué vieron los clientes y qué haremos para que no se repita. Criticidad ${p.impactLabel.toLowerCase()}; ${p.version > 1 ? 'revisión' : 'publicado'} ${when(p.at)}.`;
  return {
    subject,
    text: `${p.name}\n\n${lead}\n\n${p.markdown}\n\nInforme en línea: ${p.reportUrl}\n${textFooter(p.links)}`,
    html: layout(
      subject,
      `<h1 style="font-size:20px">${escapeHtml(p.name)}</h1><p>${escapeHtml(lead)}</p>${p.html}${button(p.reportUrl, 'Ver el informe en línea')}`,
      p.links,
    ),
  };
}

export interface MaintenanceEmailProps {
  event:
    | 'maintenance.announced'
    | 'maintenance.reminder'
    | 'maintenance.started'
    | 'maintenance.completed'
    | 'maintenance.cancelled'
    | 'maintenance.rescheduled';
  name: string;
  areas: string[];
  /** The window as it is now (after a reschedule, the new one). */
  window: { from: Date; until: Date } | null;
  /** A reschedule's window before the change. */
  previousWindow?: { from: Date; until: Date } | null;
  /** "Afectación esperada"; null for notices stored before it was recorded. */
  impactLabel?: string | null;
  impactKind?: MaintenanceImpactKind | null;
  /** When the work actually began and ended (a completion says how long it lasted). */
  startedAt?: Date | null;
  completedAt?: Date | null;
  /** When the notice was published: a window ahead of it is in the future tense. */
  at: Date;
  body: string | null;
  maintenanceUrl: string;
  /** The window's iCalendar file (`/mantenimiento/:id.ics`), linked from the message. */
  calendarUrl?: string;
  links: SubscriptionLinks;
  /**
   * The window's calendar (RFC 5545, METHOD:PUBLISH), carried as a text/calendar part so mail
   * clients offer "add to calendar". See `carriesCalendar` for the notices that take one.
   */
  calendar?: string;
  /** The recipient's affected services (technical contacts, subscribers of a service ID). */
  services?: NoticeServiceLine[];
  reason?: RecipientReason;
}

const maintenanceLead: Record<MaintenanceEmailProps['event'], string> = {
  'maintenance.announced': 'Mantenimiento programado',
  'maintenance.reminder': 'Recordatorio: mantenimiento en 24 h',
  'maintenance.started': 'Mantenimiento en curso',
  'maintenance.completed': 'Mantenimiento concluido',
  'maintenance.cancelled': 'Mantenimiento cancelado',
  'maintenance.rescheduled': 'Mantenimiento reprogramado',
};

/**
 * Notices that change what a calendar should hold: the window ahead (announced, reminded,
 * moved) or withdrawn (the event comes with STATUS:CANCELLED). A start or completion changes
 * nothing anyone would add to an agenda.
 */
export function carriesCalendar(event: MaintenanceEmailProps['event']): boolean {
  return (
    event === 'maintenance.announced' ||
    event === 'maintenance.reminder' ||
    event === 'maintenance.rescheduled' ||
    event === 'maintenance.cancelled'
  );
}

/** "la noche del viernes 11 al sábado 12 de diciembre, de 00:00 a 03:00 (hora del centro de México)". */
const windowText = (w: { from: Date; until: Date }, at: Date) => `${windowPhrase(w.from, w.until, at)} (${ZONE_LABEL})`;

export function maintenanceEmail(p: MaintenanceEmailProps): EmailContent {
  const facts: NoticeFacts = {
    kind: 'maintenance',
    event: p.event,
    window: p.window,
    startedAt: p.startedAt,
    completedAt: p.completedAt,
    impactKind: p.impactKind,
    at: p.at,
  };
  const moment = noticeMoment(facts);
  const moved = p.event === 'maintenance.rescheduled' && p.previousWindow ? p.previousWindow : null;
  // The subject names the start as it is now; a reschedule says it is the new one.
  const start = p.window ? `${moved ? 'ahora el ' : ''}${formatDateTime(p.window.from)}` : '';
  const subject = `[${maintenanceLead[p.event]}] ${p.name}${start ? ` — ${start}` : ''}`;
  const now = p.window ? windowText(p.window, p.at) : 'Por confirmar';
  const rows: Array<[string, string]> = moved
    ? [
        ['Nueva ventana', now],
        ['Ventana anterior (ya no vale)', windowText(moved, p.at)],
      ]
    : [[p.event === 'maintenance.cancelled' ? 'Ventana cancelada' : 'Ventana', now]];
  if (moment.tense === 'past') rows.push(['Duración', durationPhrase(moment.from, moment.until)]);
  if (p.impactLabel) rows.push(['Afectación esperada', p.impactLabel]);
  rows.push([affectedAreasLabel(facts), p.areas.length ? p.areas.join(', ') : 'Sin componentes asociados']);
  const body = p.body ?? '';
  const lead = serviceLead(p.services, facts);
  const calendarLine = p.calendarUrl
    ? p.event === 'maintenance.cancelled'
      ? 'Quitar de su calendario (archivo .ics con el evento cancelado)'
      : 'Añadir a mi calendario (.ics)'
    : '';
  const calendarPart = p.calendar && carriesCalendar(p.event);
  return {
    subject,
    text: `${lead.text}${maintenanceLead[p.event]}: ${p.name}\n\n${body ? `${body}\n\n` : ''}${factsText(rows)}\n\nDetalle: ${p.maintenanceUrl}\n${calendarLine ? `${calendarLine}: ${p.calendarUrl}\n` : ''}${textFooter(p.links, p.reason)}`,
    html: layout(
      subject,
      `${lead.html}<h1 style="font-size:20px">${escapeHtml(maintenanceLead[p.event])}: ${escapeHtml(p.name)}</h1>${body ? `<p style="white-space:pre-line">${escapeHtml(body)}</p>` : ''}${factsHtml(rows)}${button(p.maintenanceUrl, 'Ver el mantenimiento')}${calendarLine ? `<p><a href="${escapeHtml(p.calendarUrl!)}">${escapeHtml(calendarLine)}</a></p>` : ''}`,
      p.links,
      recipientReasonSentence(p.reason),
      p.reason,
    ),
    ...(calendarPart
      ? { calendar: { content: p.calendar!, method: 'PUBLISH' as const, filename: 'mantenimiento.ics' } }
      : {}),
  };
}

export interface FeasibilityEmailProps {
  id: string;
  company: string;
  contactName: string;
  email: string;
  phone: string;
  latitude: number;
  longitude: number;
  address: string;
  serviceLabel: string;
  bandwidth: string | null;
  notes: string | null;
  at: Date;
}

/** To SOMNET's coverage team: a customer outside the marked areas asks for a feasibility study. */
export function feasibilityEmail(p: FeasibilityEmailProps): EmailContent {
  const subject = `[Estudio de factibilidad] ${p.company} — ${p.serviceLabel}`;
  const map = `https://www.openstreetmap.org/?mlat=${p.latitude}&mlon=${p.longitude}#map=17/${p.latitude}/${p.longitude}`;
  const facts: Array<[string, string]> = [
    ['Empresa', p.company],
    ['Contacto', p.contactName],
    ['Correo', p.email],
    ['Teléfono', p.phone],
    ['Ubicación', `${p.latitude}, ${p.longitude} (${map})`],
    ['Dirección', p.address],
    ['Servicio solicitado', p.serviceLabel],
    ...(p.bandwidth ? [['Ancho de banda', p.bandwidth] as [string, string]] : []),
    ...(p.notes ? [['Comentarios', p.notes] as [string, string]] : []),
    ['Recibida', `${formatDateTime(p.at)} (${ZONE_LABEL})`],
    ['Folio', p.id],
  ];
  return {
    subject,
    text: `Nueva solicitud de estudio de factibilidad desde status.somnet.com.mx/cobertura.\n\n${factsText(facts)}\n\nResponda a este correo para escribir directamente al solicitante.`,
    html: `<!doctype html><html lang="es-MX"><body style="font-family:Arial,sans-serif;color:#1f2328"><h1 style="font-size:20px">${escapeHtml(subject)}</h1><p>Nueva solicitud de estudio de factibilidad desde la página de cobertura.</p>${factsHtml(facts)}<p>Responda a este correo para escribir directamente al solicitante.</p></body></html>`,
  };
}

export interface StatementEmailProps {
  statement: StatementProps;
  /** The public statement page (/mi-servicio/:id/reporte/:mes): times and percentages, no amounts. */
  statementUrl: string;
  links: SubscriptionLinks;
  reason: RecipientReason;
}

const pesos = new Intl.NumberFormat('es-MX', { style: 'currency', currency: 'MXN' });
/** "$3,499.00 MXN": the currency named, for a finance reader. */
const money = (n: number) => `${pesos.format(n)} MXN`;
const minuteCount = new Intl.NumberFormat('es-MX', { maximumFractionDigits: 1 });
/** "90 min (1 h 30 min)": the minutes the formula uses, and the same time as a person reads it. */
const minutesPhrase = (m: number) => {
  const plain = `${minuteCount.format(m)} min`;
  return m >= 60 ? `${plain} (${formatDuration(m * 60_000)})` : plain;
};

/** "Incidente", "Mantenimiento de emergencia", … as the public statement names each event. */
function statementEventLabel(e: StatementProps['events'][number]): string {
  if (e.kind === 'incident') return 'Incidente';
  if (e.emergency) return 'Mantenimiento de emergencia';
  return e.announced ? 'Mantenimiento avisado con 72 h (no cuenta)' : 'Mantenimiento sin el aviso de 72 h';
}

/**
 * A service's month for its technical contacts (db/commands/statements.ts): the outage minutes
 * with each incident, the availability, and the NOM-184 estimate with its arithmetic, which the
 * public statement page leaves out. Sent only for a month with an outage.
 */
export function statementEmail(p: StatementEmailProps): EmailContent {
  const s = p.statement;
  const month = formatMonth(s.month);
  const service = `${s.serviceId} (${s.label})`;
  const c = s.compensation;
  const subject = `Estado de disponibilidad de ${month}: servicio ${service}${c ? ` — bonificación estimada de ${money(c.total)}` : ''}`;
  const down = minutesPhrase(s.minutes.down);
  const lead = `En ${month} su servicio ${service} tuvo ${down} de indisponibilidad. Por ese tiempo SOMNET aplica en su facturación la compensación y la bonificación que marca la NOM-184-SCFI-2018, sin que usted tenga que reclamarlas ni levantar un ticket.`;
  const facts: Array<[string, string]> = [
    ['Servicio', service],
    ['Periodo', `${formatWindow(new Date(s.from), new Date(s.to))}`],
    ['Disponibilidad', formatPercent(s.percent)],
    ['Tiempo de indisponibilidad', down],
  ];
  const detail: string[] = [];
  if (s.minutes.major > 0) detail.push(`sin servicio ${minutesPhrase(s.minutes.major)}`);
  if (s.minutes.partial > 0)
    detail.push(
      `con intermitencia ${minutesPhrase(s.minutes.partial)}, de los que cuenta el ${PARTIAL_OUTAGE_WEIGHT * 100} %`,
    );
  if (s.minutes.unannouncedMaintenance > 0)
    detail.push(`en mantenimiento sin el aviso de 72 h ${minutesPhrase(s.minutes.unannouncedMaintenance)}`);
  if (detail.length > 0) facts.push(['De ese tiempo', detail.join('; ')]);
  if (s.minutes.degraded > 0)
    facts.push(['Con baja velocidad (no cuenta como caída)', minutesPhrase(s.minutes.degraded)]);
  if (s.minutes.maintenance > 0)
    facts.push(['Mantenimiento avisado con 72 h (no cuenta)', minutesPhrase(s.minutes.maintenance)]);

  const events = s.events.map((e) => {
    const start = new Date(e.start);
    const end = e.end ? new Date(e.end) : null;
    const span = end ? formatWindow(start, end) : `desde ${when(start)}; seguía abierto al terminar el mes`;
    return {
      title: `${statementEventLabel(e)}: ${e.name}`,
      line: `${span}. En el mes: ${formatDuration(e.durationMs)}.`,
    };
  });

  const amounts: Array<[string, string]> = c
    ? [
        ['Renta mensual', money(c.monthlyPrice)],
        [
          'Parte proporcional por el tiempo de indisponibilidad',
          `${money(c.proportional)} (${money(c.monthlyPrice)} × ${minuteCount.format(s.minutes.down)} min ÷ ${minuteCount.format(s.monthMinutes)} min del mes)`,
        ],
        [`Bonificación (${COMPENSATION_BONUS * 100} % de esa parte)`, money(c.bonus)],
        ['Total estimado a su favor', money(c.total)],
      ]
    : [];
  const howComputed = `Cómo se calcula: la NOM-184-SCFI-2018 pide descontar la parte proporcional del precio por el tiempo en que el servicio no se prestó y bonificar además al menos el ${COMPENSATION_BONUS * 100} % de esa cantidad. Cuentan como indisponibilidad todos los minutos sin servicio y el ${PARTIAL_OUTAGE_WEIGHT * 100} % de los minutos con intermitencia; la baja velocidad y el mantenimiento avisado con 72 horas no cuentan. Es una estimación: el monto definitivo aparece en su factura.`;
  const noPrice =
    'Su renta mensual no figura en nuestro inventario, así que este correo no estima el monto: el área de facturación lo calcula con esta misma regla y lo aplica en su factura.';
  const dispute = `¿Ve algo que no coincide (minutos, incidentes o monto)? Antes de la fecha de vencimiento de su factura, levante un ticket administrativo en el Portal de Cliente (${PORTAL_URL.replace('https://', '')}), sección «Facturación», o escriba a ${SUPPORT_EMAIL} con su ID de servicio ${s.serviceId}. También puede llamar al ${EMERGENCY_PHONE}.`;
  const publicNote =
    'La página del reporte muestra los mismos minutos e incidentes, sin montos: puede compartirla con quien lo necesite.';

  const eventsText = events.length
    ? `Incidentes y mantenimientos que tocaron el servicio (${ZONE_LABEL}):\n${events.map((e) => `- ${e.title}\n  ${e.line}`).join('\n')}`
    : '';
  const text = [
    lead,
    factsText(facts),
    eventsText,
    c ? `Monto estimado\n${factsText(amounts)}` : noPrice,
    howComputed,
    `Reporte del mes: ${p.statementUrl}\n${publicNote}`,
    dispute,
  ]
    .filter(Boolean)
    .join('\n\n');
  const eventsHtml = events.length
    ? `<h2 style="font-size:17px">Incidentes y mantenimientos que tocaron el servicio</h2><ul style="padding-left:20px">${events
        .map(
          (e) => `<li style="margin-bottom:8px"><strong>${escapeHtml(e.title)}</strong><br>${escapeHtml(e.line)}</li>`,
        )
        .join('')}</ul>`
    : '';
  const amountsHtml = c
    ? `<h2 style="font-size:17px">Monto estimado</h2>${factsHtml(amounts)}`
    : `<p>${escapeHtml(noPrice)}</p>`;
  return {
    subject,
    text: `${text}\n${textFooter(p.links, p.reason)}`,
    html: layout(
      subject,
      `<h1 style="font-size:20px">Estado de disponibilidad · ${escapeHtml(month)}</h1><p>${escapeHtml(lead)}</p>${factsHtml(facts)}${eventsHtml}${amountsHtml}<p style="font-size:14px">${escapeHtml(howComputed)}</p>${button(p.statementUrl, 'Ver el reporte del mes')}<p style="font-size:14px">${escapeHtml(publicNote)}</p><h2 style="font-size:17px">Aclaraciones</h2><p>${escapeHtml(dispute)}</p>`,
      p.links,
      recipientReasonSentence(p.reason),
      p.reason,
    ),
  };
}
