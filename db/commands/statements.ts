// The monthly statement: on the 1st of each month, every service that had an outage
// in the month before gets its statement by email, through the outbox, at each of its technical
// contacts — the minutes, the availability and the NOM-184 estimate that the public statement
// (/mi-servicio/:id/reporte/:mes, without amounts) and the billing report (GET
// /api/v1/reports/services) compute with serviceMonths, taken from there and never recomputed.
// Profeco asks that the compensation be applied without a complaint: the email says it is.
//
// Once per (service, month, contact), however the server runs: the month is marked in
// monthly_statements in the very transaction that queues its emails (a second process, or a pass
// after a restart, finds the mark and does nothing), and each email's dedupe key names the month,
// the service and the address. A server down on the 1st sends them when it starts, any time up to
// the end of that month; a month later the invoice they are about is already out, so a month
// missed whole is not sent late (its figures stay in the billing report).
import type { Db } from '../client.ts';
import { hadOutage } from '../domain/availability.ts';
import { formatMonth, zonedMidnight, zonedMonthKey } from '../domain/time.ts';
import { issueManageTokens } from '../notifications/subscribers.ts';
import { enqueueMessages, type OutboxMessageInput } from '../outbox/enqueue.ts';
import { availabilityMonthRefusal } from '../queries/availability.ts';
import { shiftMonth } from '../queries/history.ts';
import { serviceMonths, type ServiceMonth } from '../queries/serviceReports.ts';
import { statementRunOf, type StatementRun } from '../queries/statements.ts';
import { EMAIL_CHANNEL, type EmailPayload, type StatementProps } from '../subscriptions/payload.ts';
import { MANAGE_TTL_MS } from '../subscriptions/tokens.ts';
import { noteChange, recordAudit, recordAudits, systemActor } from './audit.ts';
import { CommandError } from './errors.ts';
import { runCommand, type CommandContext } from './transaction.ts';

export const STATEMENT_KIND = 'statement.monthly';

/**
 * The local hour on the 1st when the statements go out: in office hours, and after the night in
 * which the NOC closes the month's last incidents (a resolution's declared time still counts).
 */
export const STATEMENT_HOUR = 9;

/** When the statements of `month` ("2026-11") fall due: the 1st of the next month, 09:00 Mexico City. */
export function statementsDueAt(month: string): Date {
  const [y, m] = shiftMonth(month, 1).split('-').map(Number);
  return new Date(zonedMidnight(y, m, 1).getTime() + STATEMENT_HOUR * 3_600_000);
}

/** The month whose statements may go out at `now` (the previous one, from its due time to the end of this month), or null. */
export function statementMonthAt(now: Date): string | null {
  const month = shiftMonth(zonedMonthKey(now), -1);
  return now.getTime() >= statementsDueAt(month).getTime() ? month : null;
}

/** The figures a statement email states, from the month of serviceMonths. */
export function statementProps(s: ServiceMonth): StatementProps {
  return {
    serviceId: s.service.serviceId,
    label: s.service.label,
    month: s.month,
    from: s.from.toISOString(),
    to: s.to.toISOString(),
    monthMinutes: s.monthMinutes,
    percent: s.percent,
    minutes: {
      down: s.tally.down,
      major: s.tally.major,
      partial: s.tally.partial,
      degraded: s.tally.degraded,
      maintenance: s.tally.maintenance,
      unannouncedMaintenance: s.tally.unannouncedMaintenance,
    },
    events: s.events.map((e) => ({
      kind: e.kind,
      id: e.id,
      name: e.name,
      start: e.start.toISOString(),
      end: e.end?.toISOString() ?? null,
      durationMs: e.durationMs,
      ...(e.emergency !== undefined ? { emergency: e.emergency } : {}),
      ...(e.announced !== undefined ? { announced: e.announced } : {}),
    })),
    compensation: s.compensation,
  };
}

interface ContactRow {
  serviceId: string;
  subscriberId: string;
  email: string;
}

/**
 * The technical contacts of these services who get email from SOMNET: the inventory's contacts,
 * through the subscriber row the import keeps for each (its links), less those who unsubscribed.
 * Never a public subscriber of a service ID: the statement carries the price.
 */
function statementContacts(db: Db, serviceIds: string[]): ContactRow[] {
  if (serviceIds.length === 0) return [];
  const rows = db.$client
    .prepare(
      `SELECT sc.service_id AS serviceId, s.id AS subscriberId, s.address AS email FROM service_contacts sc
        JOIN subscribers s ON s.channel = 'email' AND s.address = sc.email AND s.confirmed_at IS NOT NULL
        WHERE sc.service_id IN (SELECT value FROM json_each(?)) AND sc.email NOT IN (SELECT email FROM contact_opt_outs)
        ORDER BY sc.service_id, sc.position`,
    )
    .all(JSON.stringify(serviceIds)) as ContactRow[];
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = `${r.serviceId}\n${r.email}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One service's statement to each of its contacts: one outbox row per (month, service, address). */
function statementMessages(
  db: Db,
  months: readonly ServiceMonth[],
  now: Date,
  keySuffix = '',
): { messages: OutboxMessageInput[]; services: number; contactsOf: Map<string, number> } {
  const contacts = statementContacts(
    db,
    months.map((s) => s.service.serviceId),
  );
  const byService = new Map<string, ContactRow[]>();
  for (const c of contacts) {
    const list = byService.get(c.serviceId);
    if (list) list.push(c);
    else byService.set(c.serviceId, [c]);
  }
  const tokens = issueManageTokens(
    db,
    contacts.map((c) => c.subscriberId),
    now.getTime(),
    now.getTime() + MANAGE_TTL_MS,
  );
  const tokenOf = new Map(contacts.map((c, i) => [c, tokens[i]]));
  const messages: OutboxMessageInput[] = [];
  const contactsOf = new Map<string, number>();
  let services = 0;
  for (const s of months) {
    const to = byService.get(s.service.serviceId) ?? [];
    contactsOf.set(s.service.serviceId, to.length);
    if (to.length === 0) continue;
    services++;
    const statement = statementProps(s);
    for (const c of to)
      messages.push({
        channel: EMAIL_CHANNEL,
        kind: STATEMENT_KIND,
        dedupeKey: `statement:${s.month}:${s.service.serviceId}${keySuffix}:${c.email}`,
        recipient: c.email,
        payload: {
          template: 'statement',
          subscriber: c.subscriberId,
          manageToken: tokenOf.get(c)!,
          statement,
        } satisfies EmailPayload,
      });
  }
  return { messages, services, contactsOf };
}

/**
 * The clock's step: at or after the due time of the previous month's statements, and unless they
 * went out already, queues one email per service with an outage that month and technical contact.
 * A month without any outage is marked too, with nothing queued. Returns what was queued, or null
 * when nothing was due.
 */
export function sendMonthlyStatements(db: Db, now: Date): StatementRun | null {
  const month = statementMonthAt(now);
  if (!month || statementRunOf(db, month)) return null;
  // The figures are read before the write lock is taken; the month is whole (it ended before now).
  const months = serviceMonths(db, month, now).filter((s) => s.complete && hadOutage(s.tally));
  return runCommand(db, () => {
    const marked = db.$client
      .prepare(
        'INSERT INTO monthly_statements (month, sent_at, services, messages) VALUES (?, ?, 0, 0) ON CONFLICT (month) DO NOTHING',
      )
      .run(month, now.getTime()).changes;
    // Another process (or an earlier pass) got there first.
    if (marked === 0) return null;
    // Nothing public changes (a month without any outage audits nothing): no page is republished.
    noteChange(db, 'service');
    const { messages, services, contactsOf } = statementMessages(db, months, now);
    const queued = enqueueMessages(db, messages, now);
    db.$client
      .prepare('UPDATE monthly_statements SET services = ?, messages = ? WHERE month = ?')
      .run(services, queued, month);
    recordAudits(
      db,
      months.map((s) => ({
        actor: systemActor,
        action: 'statement.sent',
        subject: { type: 'service', id: s.service.serviceId },
        at: now,
        details: {
          month,
          contacts: contactsOf.get(s.service.serviceId) ?? 0,
          unavailable_minutes: Math.round(s.tally.down * 10) / 10,
        },
      })),
    );
    return { month, sentAt: now, services, messages: queued };
  });
}

/**
 * When the clock should look again: the due time of the previous month's statements while they are
 * ahead or still unsent (then it is overdue: now), else the due time of this month's.
 */
export function nextStatementsDue(db: Db, now: Date): Date {
  const current = zonedMonthKey(now);
  const previous = shiftMonth(current, -1);
  const dueAt = statementsDueAt(previous);
  if (now.getTime() < dueAt.getTime() || !statementRunOf(db, previous)) return dueAt;
  return statementsDueAt(current);
}

/**
 * Sends one service's statement of a finished month again, to its technical contacts as they are
 * now, with the figures as they are now (after a correction, the corrected ones): a contact who
 * lost the email, a new contact, a disputed month re-checked. Each call queues a new message
 * (its own dedupe key); the audit says who asked. Refused for a month not finished yet or without
 * an outage (nothing to state), an unknown service, or one without a contact to write to.
 */
export function resendStatement(
  db: Db,
  input: { serviceId: string; month: string },
  { now, actor }: CommandContext,
): { month: string; serviceId: string; recipients: string[] } {
  const monthRefusal = availabilityMonthRefusal(db, input.month, now);
  if (monthRefusal)
    throw new CommandError(422, 'invalid_month', monthRefusal.message, [
      { path: 'month', message: monthRefusal.message },
    ]);
  if (input.month >= zonedMonthKey(now)) {
    const message = `${formatMonth(input.month)} aún no termina: su estado de disponibilidad se envía el día 1 del mes siguiente.`;
    throw new CommandError(422, 'month_not_finished', message, [{ path: 'month', message }]);
  }
  const serviceId = input.serviceId.trim().toUpperCase();
  const month = serviceMonths(db, input.month, now, { serviceId })[0];
  if (!month) throw new CommandError(404, 'not_found', `No existe el servicio «${serviceId}» en el inventario.`);
  if (!hadOutage(month.tally)) {
    const message = `El servicio ${serviceId} no tuvo falla en ${formatMonth(input.month)}: no hay estado de disponibilidad que enviar.`;
    throw new CommandError(422, 'no_outage', message, [{ path: 'month', message }]);
  }
  return runCommand(db, () => {
    const { messages } = statementMessages(db, [month], now, `:resend-${now.getTime()}`);
    if (messages.length === 0)
      throw new CommandError(
        422,
        'no_contacts',
        `El servicio ${serviceId} no tiene contactos técnicos que reciban correo (o todos se dieron de baja).`,
      );
    enqueueMessages(db, messages, now);
    recordAudit(db, actor, 'statement.resent', { type: 'service', id: serviceId }, now, {
      month: input.month,
      contacts: messages.length,
    });
    return { month: input.month, serviceId, recipients: messages.map((m) => m.recipient) };
  });
}
