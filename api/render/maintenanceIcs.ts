// iCalendar rendering of maintenance windows: the public feeds, the per-event download and the
// attachment of notice emails. Pure: the same views in give the same bytes out.
import { escapeText, icsDocument, utcDateTime, type IcsLine } from '#db/domain/icalendar.ts';
import { formatNotice, maintenanceTitle } from '#db/domain/maintenance.ts';
import { formatWindow } from '#db/domain/time.ts';
import type { MaintenanceImpactKind, MaintenanceStatus } from '#db/enums.ts';
import type { MaintenanceView } from '#db/queries/index.ts';
import { SUPPORT_EMAIL } from '#db/supportChannels.ts';

export interface IcsOptions {
  /** Absolute base URL, e.g. https://status.somnet.com.mx (UIDs use its host). */
  publicUrl: string;
  calendarName: string;
  /** X-MAINTNOTE-PROVIDER; SOMNET's domain by default. */
  provider?: string;
  /** X-MAINTNOTE-ACCOUNT: the public feed is for every customer. */
  account?: string;
}

/**
 * ORGANIZER: the contact customers answer to. The MAINTNOTE BCOP (§3.5) requires it on every
 * event, circuit-maintenance tooling refuses a notice without it, and RFC 5546 requires it of a
 * METHOD:PUBLISH event. The address is the support channel of the customer manual (1.2).
 */
const ORGANIZER: IcsLine = ['ORGANIZER', `mailto:${SUPPORT_EMAIL}`, { CN: 'Soporte SOMNET' }];

/** BCOP maintenance-notification impact scale. */
const maintnoteImpact: Record<MaintenanceImpactKind, string> = {
  no_impact: 'NO-IMPACT',
  reduced_redundancy: 'REDUCED-REDUNDANCY',
  degraded: 'DEGRADED',
  outage: 'OUTAGE',
};

function maintnoteStatus(m: MaintenanceView): string {
  const byStatus: Record<MaintenanceStatus, string> = {
    scheduled: m.scheduleChanges.length > 0 ? 'RE-SCHEDULED' : 'CONFIRMED',
    in_progress: 'IN-PROCESS',
    verifying: 'IN-PROCESS',
    completed: 'COMPLETED',
    cancelled: 'CANCELLED',
  };
  return byStatus[m.status];
}

function description(m: MaintenanceView, url: string): string {
  const lines = [
    m.body,
    '',
    `Ventana: ${formatWindow(m.scheduledFor, m.scheduledUntil)}.`,
    `Estado: ${m.statusLabel}. Afectación esperada: ${m.impactLabel}.`,
    `Servicios afectados: ${m.components.map((c) => c.fullName).join(', ')}.`,
  ];
  if (m.emergency) lines.push(`Mantenimiento de emergencia: ${m.emergencyReason ?? ''}`);
  else lines.push(`Aviso: ${formatNotice(m.noticeMs)}.`);
  if (!m.lowImpactWindow) lines.push('Fuera del horario de bajo impacto (00:00–04:00).');
  if (m.scheduleChanges.length > 0)
    lines.push(`Reprogramado ${m.scheduleChanges.length === 1 ? 'una vez' : `${m.scheduleChanges.length} veces`}.`);
  lines.push('', `Detalles: ${url}`);
  return lines.join('\n');
}

function vevent(m: MaintenanceView, o: IcsOptions, host: string): IcsLine[] {
  const url = `${o.publicUrl}/mantenimiento/${m.id}`;
  const lines: IcsLine[] = [
    ['BEGIN', 'VEVENT'],
    // Stable across edits: a calendar replaces the event with the same UID and a higher SEQUENCE.
    ['UID', `maintenance-${m.id}@${host}`],
    ['DTSTAMP', utcDateTime(m.updatedAt)],
    ['CREATED', utcDateTime(m.createdAt)],
    ['LAST-MODIFIED', utcDateTime(m.updatedAt)],
    ['SEQUENCE', String(m.sequence)],
    ORGANIZER,
    ['DTSTART', utcDateTime(m.scheduledFor)],
    ['DTEND', utcDateTime(m.scheduledUntil)],
    ['SUMMARY', escapeText(maintenanceTitle(m))],
    ['DESCRIPTION', escapeText(description(m, url))],
    [
      'LOCATION',
      escapeText(
        m.areas.length ? m.areas.map((a) => a.name).join(', ') : m.components.map((c) => c.fullName).join(', '),
      ),
    ],
    ['URL', url],
    ['STATUS', m.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED'],
    // Informative for customers: it should not block their own agenda.
    ['TRANSP', 'TRANSPARENT'],
    ['CATEGORIES', m.emergency ? 'MANTENIMIENTO,EMERGENCIA' : 'MANTENIMIENTO'],
    ['X-MAINTNOTE-PROVIDER', escapeText(o.provider ?? 'somnet.com.mx')],
    ['X-MAINTNOTE-ACCOUNT', escapeText(o.account ?? 'public')],
    ['X-MAINTNOTE-MAINTENANCE-ID', m.id],
    ...m.components.map((c): IcsLine => [
      'X-MAINTNOTE-OBJECT-ID',
      escapeText(c.slug),
      { 'X-MAINTNOTE-OBJECT-IMPACT': maintnoteImpact[m.impactKind], 'X-SOMNET-NAME': c.fullName },
    ]),
    ['X-MAINTNOTE-IMPACT', maintnoteImpact[m.impactKind]],
    ['X-MAINTNOTE-STATUS', maintnoteStatus(m)],
    ['END', 'VEVENT'],
  ];
  return lines;
}

/** A VCALENDAR with one VEVENT per maintenance; times in UTC. */
export function maintenanceIcs(views: MaintenanceView[], options: IcsOptions): string {
  const host = new URL(options.publicUrl).host;
  return icsDocument([
    ['BEGIN', 'VCALENDAR'],
    ['VERSION', '2.0'],
    ['PRODID', '-//SOMNET//Estado de la red//ES'],
    ['CALSCALE', 'GREGORIAN'],
    ['METHOD', 'PUBLISH'],
    ['NAME', escapeText(options.calendarName)],
    ['X-WR-CALNAME', escapeText(options.calendarName)],
    ['X-WR-TIMEZONE', 'America/Mexico_City'],
    ['REFRESH-INTERVAL', 'PT1H', { VALUE: 'DURATION' }],
    ['X-PUBLISHED-TTL', 'PT1H'],
    ...views.flatMap((m) => vevent(m, options, host)),
    ['END', 'VCALENDAR'],
  ]);
}
