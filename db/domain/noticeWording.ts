// Words by tense. A notice is read minutes or days after it was written: a resolution read at
// noon must not say a service "se ve afectado", a maintenance five days away must say when. The
// tense comes from the event, here, once; every channel (email, SMS, WhatsApp, Telegram, team
// chats) words its sentences from `noticeMoment`.
import type { MaintenanceImpactKind } from '../enums.ts';
import { formatDuration, formatTime, ZONE_LABEL, zonedParts } from './time.ts';

type IncidentEvent = 'incident.created' | 'incident.updated' | 'incident.resolved';
type MaintenanceEvent =
  | 'maintenance.announced'
  | 'maintenance.reminder'
  | 'maintenance.started'
  | 'maintenance.completed'
  | 'maintenance.cancelled'
  | 'maintenance.rescheduled';

/** What a notice states about time, as stored with it (db/subscriptions/payload.ts NoticeProps). */
export type NoticeFacts =
  | {
      kind: 'incident';
      event: IncidentEvent;
      /** The update's status: «En monitoreo» is neither "affected now" nor "restored". */
      status: string;
      /** When the outage began (effective start); absent in notices stored before it was recorded. */
      startedAt?: Date | null;
      /** When service came back (a resolution's effective time). */
      resolvedAt?: Date | null;
      at: Date;
    }
  | {
      kind: 'maintenance';
      event: MaintenanceEvent;
      /** The window as it stands in this notice. */
      window: { from: Date; until: Date } | null;
      /** When the work actually began and ended (a completion states how long it lasted). */
      startedAt?: Date | null;
      completedAt?: Date | null;
      impactKind?: MaintenanceImpactKind | null;
      at: Date;
    };

/**
 * The tense of a notice:
 * - `present`: affected now (an open incident, a window in progress);
 * - `monitoring`: a fix is in place and being watched (neither "affected" nor "restored" is sure);
 * - `past`: was affected and is restored, `from`–`until` (how long it lasted);
 * - `future`: will be affected in the window `from`–`until`;
 * - `withdrawn`: a window that will not happen (cancelled).
 */
export type NoticeMoment =
  | { tense: 'present'; until?: Date }
  | { tense: 'monitoring' }
  | { tense: 'past'; from: Date | null; until: Date }
  | { tense: 'future'; from: Date; until: Date }
  | { tense: 'withdrawn'; from: Date | null; until: Date | null };

export function noticeMoment(facts: NoticeFacts): NoticeMoment {
  if (facts.kind === 'incident') {
    if (facts.event === 'incident.resolved' || facts.status === 'resolved')
      return { tense: 'past', from: facts.startedAt ?? null, until: facts.resolvedAt ?? facts.at };
    if (facts.status === 'monitoring') return { tense: 'monitoring' };
    return { tense: 'present' };
  }
  const w = facts.window;
  switch (facts.event) {
    case 'maintenance.announced':
    case 'maintenance.reminder':
    case 'maintenance.rescheduled':
      // A window announced after it began (an emergency started at once) is under way, not ahead.
      if (w && w.from.getTime() > facts.at.getTime()) return { tense: 'future', from: w.from, until: w.until };
      return w ? { tense: 'present', until: w.until } : { tense: 'present' };
    case 'maintenance.started':
      return w ? { tense: 'present', until: w.until } : { tense: 'present' };
    case 'maintenance.completed':
      return { tense: 'past', from: facts.startedAt ?? w?.from ?? null, until: facts.completedAt ?? facts.at };
    case 'maintenance.cancelled':
      return { tense: 'withdrawn', from: w?.from ?? null, until: w?.until ?? null };
  }
}

const weekday = new Intl.DateTimeFormat('es-MX', { timeZone: 'UTC', weekday: 'long' });
const monthName = new Intl.DateTimeFormat('es-MX', { timeZone: 'UTC', month: 'long' });

interface LocalDay {
  year: number;
  month: number;
  day: number;
}

const dayDate = (d: LocalDay) => new Date(Date.UTC(d.year, d.month - 1, d.day, 12));
const sameDay = (a: LocalDay, b: LocalDay) => a.year === b.year && a.month === b.month && a.day === b.day;
const nextDay = (d: LocalDay): LocalDay => {
  const n = new Date(dayDate(d).getTime() + 86_400_000);
  return { year: n.getUTCFullYear(), month: n.getUTCMonth() + 1, day: n.getUTCDate() };
};
const previousDay = (d: LocalDay): LocalDay => {
  const n = new Date(dayDate(d).getTime() - 86_400_000);
  return { year: n.getUTCFullYear(), month: n.getUTCMonth() + 1, day: n.getUTCDate() };
};

/** "viernes 11" — with the month ("viernes 11 de diciembre") and the year when asked. */
function dayName(d: LocalDay, withMonth: boolean, withYear: boolean): string {
  const date = dayDate(d);
  const month = withMonth ? ` de ${monthName.format(date)}${withYear ? ` de ${d.year}` : ''}` : '';
  return `${weekday.format(date)} ${d.day}${month}`;
}

const hhmm = (p: { hour: number; minute: number }) =>
  `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;

/**
 * A window as people say it, in America/Mexico_City, without the zone's name (callers add
 * ZONE_LABEL once per sentence):
 * - a night: «la noche del viernes 11 al sábado 12 de diciembre, de 00:00 a 03:00» (it starts
 *   after midnight, or in the evening and ends the next morning);
 * - one day: «el jueves 10 de diciembre, de 10:00 a 12:00»;
 * - longer: «del jueves 10 de diciembre, 22:00, al sábado 12 de diciembre, 04:00».
 * The year is said only when it is not the year of `reference` (the notice's date).
 */
export function windowPhrase(from: Date, until: Date, reference: Date = from): string {
  const s = zonedParts(from);
  const e = zonedParts(until);
  const year = zonedParts(reference).year;
  const startDay: LocalDay = s;
  // A window ending at midnight ends with its day: "de 22:00 a 00:00" is one evening.
  const endsAtMidnight = e.hour === 0 && e.minute === 0 && until.getTime() > from.getTime();
  const endDay: LocalDay = endsAtMidnight ? previousDay(e) : e;
  const withYear = (d: LocalDay) => d.year !== year;
  const hours = `de ${hhmm(s)} a ${hhmm(e)}`;
  const night = (eve: LocalDay, morning: LocalDay) => {
    const sameMonth = eve.month === morning.month && eve.year === morning.year;
    return `la noche del ${dayName(eve, !sameMonth, !sameMonth && withYear(eve))} al ${dayName(morning, true, withYear(morning))}, ${hours}`;
  };
  if (sameDay(startDay, endDay)) {
    // Work that starts after midnight (before 06:00) belongs to the night before.
    if (s.hour < 6 && !endsAtMidnight) return night(previousDay(startDay), startDay);
    return `el ${dayName(startDay, true, withYear(startDay))}, ${hours}`;
  }
  if (sameDay(nextDay(startDay), endDay) && s.hour >= 18 && e.hour < 12) return night(startDay, endDay);
  return `del ${dayName(startDay, true, withYear(startDay))}, ${hhmm(s)}, al ${dayName(e, true, withYear(e))}, ${hhmm(e)}`;
}

/** "1 h 20 min (de 00:48 a 02:08, hora del centro de México)": how long something lasted. */
export function durationPhrase(from: Date | null, until: Date): string {
  if (!from) return `hasta las ${formatTime(until)} (${ZONE_LABEL})`;
  const lasted = formatDuration(until.getTime() - from.getTime());
  const span = sameDay(zonedParts(from), zonedParts(until))
    ? `de ${formatTime(from)} a ${formatTime(until)}`
    : windowPhrase(from, until);
  return `${lasted} (${span}, ${ZONE_LABEL})`;
}

/** "durante 1 h 20 min (…)", or "hasta las 02:08 (…)" when the start is not known. */
const during = (from: Date | null, until: Date) => `${from ? 'durante ' : ''}${durationPhrase(from, until)}`;

/** A service as a notice names it: "SOM-12345, Sucursal Centro" for its contacts, the ID alone otherwise. */
export interface NamedService {
  serviceId: string;
  label: string | null;
}

function serviceList(services: readonly NamedService[]): { subject: string; plural: boolean } {
  const named = services.map((s) => (s.label ? `${s.serviceId}, ${s.label}` : s.serviceId));
  return services.length === 1
    ? { subject: `Su servicio ${named[0]}`, plural: false }
    : {
        subject: `Sus servicios ${named.slice(0, -1).join('; ')} y ${named[named.length - 1]}`,
        plural: true,
      };
}

/** What a maintenance does to a service, by its expected impact. */
function maintenanceVerb(
  impact: MaintenanceImpactKind | null | undefined,
  tense: 'present' | 'past' | 'future',
  plural: boolean,
): string {
  const n = (one: string, many: string) => (plural ? many : one);
  switch (impact) {
    case 'no_impact':
      return {
        future: n(
          'está incluido en este mantenimiento, sin afectación esperada,',
          'están incluidos en este mantenimiento, sin afectación esperada,',
        ),
        present: n(
          'está incluido en este mantenimiento en curso, sin afectación esperada',
          'están incluidos en este mantenimiento en curso, sin afectación esperada',
        ),
        past: n(
          'estuvo incluido en este mantenimiento, ya concluido,',
          'estuvieron incluidos en este mantenimiento, ya concluido,',
        ),
      }[tense];
    case 'reduced_redundancy':
      return {
        future: n(
          'operará con redundancia reducida (sin enlace de respaldo)',
          'operarán con redundancia reducida (sin enlace de respaldo)',
        ),
        present: n(
          'opera con redundancia reducida por este mantenimiento',
          'operan con redundancia reducida por este mantenimiento',
        ),
        past: n('operó con redundancia reducida', 'operaron con redundancia reducida'),
      }[tense];
    default:
      return {
        future: n('se verá afectado', 'se verán afectados'),
        present: n('se ve afectado por este mantenimiento', 'se ven afectados por este mantenimiento'),
        past: n('se vio afectado', 'se vieron afectados'),
      }[tense];
  }
}

/**
 * The sentence that tells a customer what happens to their services, in the notice's tense:
 * «Su servicio SOM-40110, Sucursal Centro se ve afectado.» / «… se vio afectado durante 1 h 20 min
 * (de 00:48 a 02:08, hora del centro de México) y ya está restablecido.» / «… se verá afectado la
 * noche del viernes 11 al sábado 12 de diciembre, de 00:00 a 03:00 (hora del centro de México).»
 * Empty when the notice names no service.
 */
export function affectedServicesSentence(services: readonly NamedService[] | undefined, facts: NoticeFacts): string {
  if (!services?.length) return '';
  const { subject, plural } = serviceList(services);
  const n = (one: string, many: string) => (plural ? many : one);
  const moment = noticeMoment(facts);
  const impact = facts.kind === 'maintenance' ? facts.impactKind : null;
  const isMaintenance = facts.kind === 'maintenance';
  switch (moment.tense) {
    case 'present':
      if (!isMaintenance) return `${subject} ${n('se ve afectado', 'se ven afectados')}.`;
      return `${subject} ${maintenanceVerb(impact, 'present', plural)}${moment.until ? `, en curso hasta las ${formatTime(moment.until)} (${ZONE_LABEL})` : ''}.`;
    case 'monitoring':
      return `${subject} ${n('se vio afectado', 'se vieron afectados')}; aplicamos una solución y ${n('lo', 'los')} mantenemos en monitoreo.`;
    case 'past':
      if (isMaintenance && (impact === 'no_impact' || impact === 'reduced_redundancy'))
        return `${subject} ${maintenanceVerb(impact, 'past', plural)} ${during(moment.from, moment.until)}.`;
      return `${subject} ${n('se vio afectado', 'se vieron afectados')} ${during(moment.from, moment.until)} y ya ${n('está restablecido', 'están restablecidos')}.`;
    case 'future':
      return `${subject} ${maintenanceVerb(impact, 'future', plural)} ${windowPhrase(moment.from, moment.until, facts.at)} (${ZONE_LABEL}).`;
    case 'withdrawn':
      return moment.from && moment.until
        ? `${subject} ya no ${n('se verá afectado', 'se verán afectados')}: se canceló el mantenimiento previsto para ${windowPhrase(moment.from, moment.until, facts.at)} (${ZONE_LABEL}).`
        : `${subject} ya no ${n('se verá afectado', 'se verán afectados')}: se canceló el mantenimiento.`;
  }
}

/** The label of the list of zones and services, in the notice's tense. */
export function affectedAreasLabel(facts: NoticeFacts): string {
  switch (noticeMoment(facts).tense) {
    case 'present':
    case 'monitoring':
      return 'Zonas y servicios afectados';
    case 'past':
      return 'Zonas y servicios que se vieron afectados';
    case 'future':
      return 'Zonas y servicios que se verán afectados';
    case 'withdrawn':
      return 'Zonas y servicios que iba a afectar';
  }
}

/**
 * Why this recipient gets notices: a public subscriber asked for them; a technical contact was
 * registered by SOMNET (from the service inventory, or imported by the NOC) and never signed up.
 */
export type RecipientReason =
  { kind: 'subscribed' } | { kind: 'contact'; serviceIds: readonly string[] } | { kind: 'registered' };

/** "…del servicio SOM-40110" / "…de los servicios SOM-40110 y SOM-40111". */
function servicesOf(ids: readonly string[]): string {
  return ids.length === 1
    ? `del servicio ${ids[0]}`
    : `de los servicios ${ids.slice(0, -1).join(', ')} y ${ids[ids.length - 1]}`;
}

/** The footer's first sentence: why the reader receives this (`channel` names where: "esta dirección", "este número"…). */
export function recipientReasonSentence(reason: RecipientReason | undefined, where = 'esta dirección'): string {
  switch (reason?.kind) {
    case 'contact':
      return `Recibe este aviso porque ${where} figura como contacto técnico ${servicesOf(reason.serviceIds)} en los registros de SOMNET.`;
    case 'registered':
      return `Recibe este aviso porque ${where} figura como contacto técnico registrado ante SOMNET.`;
    default:
      return 'Recibe este aviso porque se suscribió a las notificaciones de estado de SOMNET.';
  }
}

/** The reason from what a notice names: the services it is a contact of, else the subscriber's kind. */
export function recipientReason(
  services: readonly NamedService[] | undefined,
  kind: 'public' | 'technical_contact' | undefined,
): RecipientReason {
  const contactOf = (services ?? []).filter((s) => s.label !== null).map((s) => s.serviceId);
  if (contactOf.length > 0) return { kind: 'contact', serviceIds: contactOf };
  return kind === 'technical_contact' ? { kind: 'registered' } : { kind: 'subscribed' };
}

/**
 * What a notice says in a sentence, for the short channels (SMS, WhatsApp, Telegram, team chats),
 * in its tense: the recipient's services when the notice names them, else the zones and services.
 */
export function noticeSummary(
  facts: NoticeFacts,
  areas: readonly string[],
  services?: readonly NamedService[],
): string {
  const own = affectedServicesSentence(services, facts);
  if (own) return own;
  const list = areas.length ? areas.join(', ') : 'la red de SOMNET';
  const moment = noticeMoment(facts);
  switch (moment.tense) {
    case 'present':
      return facts.kind === 'maintenance'
        ? `Mantenimiento en curso en ${list}${moment.until ? `, hasta las ${formatTime(moment.until)} (${ZONE_LABEL})` : ''}.`
        : `Afecta ahora a ${list}.`;
    case 'monitoring':
      return `Afectó a ${list}; aplicamos una solución y lo mantenemos en monitoreo.`;
    case 'past':
      return `${list}: ${facts.kind === 'maintenance' ? 'mantenimiento concluido' : 'servicio restablecido'}; duró ${durationPhrase(moment.from, moment.until)}.`;
    case 'future':
      return `Afectará a ${list} ${windowPhrase(moment.from, moment.until, facts.at)} (${ZONE_LABEL}).`;
    case 'withdrawn':
      return moment.from && moment.until
        ? `Se canceló el mantenimiento previsto en ${list} para ${windowPhrase(moment.from, moment.until, facts.at)} (${ZONE_LABEL}).`
        : `Se canceló el mantenimiento previsto en ${list}.`;
  }
}
