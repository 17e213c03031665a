import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { emailNotices, outboxMessages, subscriberComponents, subscribers, subscriberTokens } from '../schema/index.ts';
import { timingSafeEqual } from 'node:crypto';
import { parseToken } from '../subscriptions/tokens.ts';
import { z } from 'zod';
import { subscriberChannels, type SubscriberChannel } from '../enums.ts';
import type { NoticeProps } from '../subscriptions/payload.ts';
import { groupBy } from './batch.ts';

export interface SubscriberView {
  id: string;
  channel: SubscriberChannel;
  /** In the channel's form: an email, an E.164 number, a Telegram chat id, a webhook URL. */
  address: string;
  /** The address when the channel is email; null otherwise. */
  email: string | null;
  kind: 'public' | 'technical_contact';
  customerId: string | null;
  allComponents: boolean;
  /** Chosen component ids (empty when allComponents). */
  componentIds: string[];
  /** Service IDs it hears about: chosen on /suscribirse, or as the inventory's technical contact. */
  serviceIds: string[];
  confirmedAt: Date | null;
  createdAt: Date;
}

function componentIdsBySubscriber(db: Db, ids?: string[]): Map<string, string[]> {
  const rows =
    ids && ids.length === 1
      ? db.select().from(subscriberComponents).where(eq(subscriberComponents.subscriberId, ids[0])).all()
      : db.select().from(subscriberComponents).all();
  const map = new Map<string, string[]>();
  for (const r of rows) {
    const list = map.get(r.subscriberId);
    if (list) list.push(r.componentId);
    else map.set(r.subscriberId, [r.componentId]);
  }
  return map;
}

function toView(
  row: typeof subscribers.$inferSelect,
  choices: Map<string, string[]>,
  services: Map<string, string[]> = new Map(),
): SubscriberView {
  return {
    id: row.id,
    channel: row.channel,
    address: row.address,
    email: row.channel === 'email' ? row.address : null,
    kind: row.kind,
    customerId: row.customerId,
    allComponents: row.allComponents,
    componentIds: row.allComponents ? [] : (choices.get(row.id) ?? []),
    serviceIds: services.get(row.id) ?? [],
    confirmedAt: row.confirmedAt,
    createdAt: row.createdAt,
  };
}

/** Service IDs per subscriber (chosen, or as technical contact of the inventory). */
function serviceIdsBySubscriber(db: Db, id?: string): Map<string, string[]> {
  const rows = db.$client
    .prepare(
      `SELECT subscriber_id AS subscriberId, service_id AS serviceId FROM subscriber_services ${id ? 'WHERE subscriber_id = ?' : ''}
    UNION SELECT s.id, sc.service_id FROM service_contacts sc JOIN subscribers s ON s.channel = 'email' AND s.address = sc.email ${id ? 'WHERE s.id = ?' : ''}
    ORDER BY 1, 2`,
    )
    .all(...(id ? [id, id] : [])) as Array<{ subscriberId: string; serviceId: string }>;
  return new Map([...groupBy(rows, (r) => r.subscriberId)].map(([k, list]) => [k, list.map((r) => r.serviceId)]));
}

/**
 * Every subscriber (pending ones included), oldest first; `email` filters by exact email address,
 * `channel` and `address` by channel and address (the address as stored, e.g. +527221675865).
 */
/** Query parameters of GET /api/v1/subscribers: each narrows the list. */
export const subscriberListQuery = z.object({
  channel: z.enum(subscriberChannels, { error: `channel es uno de: ${subscriberChannels.join(', ')}.` }).optional(),
  email: z.string().optional().meta({ description: 'Solo la suscripción por correo de esta dirección.' }),
  address: z.string().optional().meta({ description: 'Solo las suscripciones de esta dirección, en cualquier canal.' }),
});

export function listSubscribers(
  db: Db,
  filter: { email?: string; channel?: SubscriberChannel; address?: string } = {},
): SubscriberView[] {
  const email = filter.email?.trim().toLowerCase();
  const conditions = [
    email ? and(eq(subscribers.channel, 'email'), eq(subscribers.address, email)) : undefined,
    filter.channel ? eq(subscribers.channel, filter.channel) : undefined,
    filter.address ? eq(subscribers.address, filter.address) : undefined,
  ].filter((c) => c !== undefined);
  const rows = db
    .select()
    .from(subscribers)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(asc(subscribers.createdAt), asc(subscribers.address))
    .all();
  const choices = componentIdsBySubscriber(db, rows.length === 1 ? [rows[0].id] : undefined);
  const services = serviceIdsBySubscriber(db, rows.length === 1 ? rows[0].id : undefined);
  return rows.map((r) => toView(r, choices, services));
}

/** The subscriber row a valid, unexpired link token of this purpose belongs to. */
export function subscriberRowForToken(
  db: Db,
  token: string,
  purpose: 'confirm' | 'manage',
  now: Date,
): typeof subscribers.$inferSelect | null {
  const parsed = parseToken(token);
  if (!parsed) return null;
  const found = db
    .select({ subscriber: subscribers, secretHash: subscriberTokens.secretHash, expiresAt: subscriberTokens.expiresAt })
    .from(subscriberTokens)
    .innerJoin(subscribers, eq(subscribers.id, subscriberTokens.subscriberId))
    .where(and(eq(subscriberTokens.id, parsed.id), eq(subscriberTokens.purpose, purpose)))
    .get();
  if (!found || found.expiresAt.getTime() <= now.getTime()) return null;
  if (!timingSafeEqual(Buffer.from(found.secretHash), Buffer.from(parsed.secretHash))) return null;
  return found.subscriber;
}

/** The subscriber a preferences/unsubscribe link belongs to, while the link is valid. */
export function subscriberByManageToken(db: Db, token: string, now: Date): SubscriberView | null {
  const row = subscriberRowForToken(db, token, 'manage', now);
  return row ? toView(row, componentIdsBySubscriber(db, [row.id]), serviceIdsBySubscriber(db, row.id)) : null;
}

/** Whether a confirmation link is still valid (the confirm page shows its button only then). */
export function isConfirmTokenValid(db: Db, token: string, now: Date): boolean {
  return subscriberRowForToken(db, token, 'confirm', now) !== null;
}

/** A recipient as the audience query reads it: [id, channel, address, kind]. */
export type RecipientRow = [string, SubscriberChannel, string, 'public' | 'technical_contact'];

/**
 * Confirmed subscribers who get a notice about these components: those who chose every
 * component, plus those who chose at least one of them. In id order, the order a fan-out keeps
 * its recipients in (db/notifications/subscribers.ts): SQLite walks the id index, where sorting
 * 11,600 rows in JavaScript took 10–40 ms of a notifying POST's transaction on a loaded machine.
 * As arrays, the form a fan-out stores them in: no object per recipient (reading 11,600 as
 * objects took 8–14 ms of the POST at load 5, as arrays 6–11).
 */
export function confirmedRecipientRows(db: Db, componentIds: string[]): RecipientRow[] {
  return db.$client
    .prepare(
      `
    SELECT s.id, s.channel, s.address, s.kind FROM subscribers s
    WHERE s.confirmed_at IS NOT NULL
      AND (s.all_components = 1 OR EXISTS (
        SELECT 1 FROM subscriber_components sc
        WHERE sc.subscriber_id = s.id AND sc.component_id IN (SELECT value FROM json_each(?))))
    ORDER BY s.id`,
    )
    .raw()
    .all(JSON.stringify(componentIds)) as RecipientRow[];
}

/** The same recipients as objects. */
export function confirmedRecipientsFor(
  db: Db,
  componentIds: string[],
): Array<{ id: string; channel: SubscriberChannel; address: string; kind: 'public' | 'technical_contact' }> {
  return confirmedRecipientRows(db, componentIds).map(([id, channel, address, kind]) => ({
    id,
    channel,
    address,
    kind,
  }));
}

/**
 * The confirmed subscribers an incident's email notices reached (an email outbox row of one of
 * its updates, keyed `incident-update:<update>:<subscriber>`, or what the outbox retention kept of
 * it): who its report is sent to.
 */
export function incidentNotifiedSubscribers(db: Db, incidentId: string): Array<{ id: string; email: string }> {
  return db.$client
    .prepare(
      `
    WITH reached(id) AS (
      SELECT substr(o.dedupe_key, length('incident-update:' || u.id || ':') + 1) FROM incident_updates u
        JOIN outbox_messages o ON o.channel = 'email' AND o.dedupe_key LIKE 'incident-update:' || u.id || ':%'
       WHERE u.incident_id = ?
      -- Rows removed by the outbox retention left who they reached here.
      UNION SELECT r.subscriber_id FROM incident_updates u
        JOIN incident_notice_recipients r ON r.update_id = u.id
       WHERE u.incident_id = ?
    )
    SELECT s.id, s.address AS email FROM reached JOIN subscribers s ON s.id = reached.id
     WHERE s.confirmed_at IS NOT NULL AND s.channel = 'email'
     ORDER BY s.rowid`,
    )
    .all(incidentId, incidentId) as Array<{ id: string; email: string }>;
}

/** For the NOC console: "se notificará a N suscriptores". */
export function countConfirmedSubscribersFor(db: Db, componentIds: string[]): number {
  const row = db.$client
    .prepare(
      `
    SELECT count(*) AS n FROM subscribers s
    WHERE s.confirmed_at IS NOT NULL
      AND (s.all_components = 1 OR EXISTS (
        SELECT 1 FROM subscriber_components sc
        WHERE sc.subscriber_id = s.id AND sc.component_id IN (SELECT value FROM json_each(?))))`,
    )
    .get(JSON.stringify(componentIds)) as { n: number };
  return row.n;
}

export function emailNotice(db: Db, id: string): NoticeProps | null {
  const row = db.select().from(emailNotices).where(eq(emailNotices.id, id)).get();
  return row ? (JSON.parse(row.props) as NoticeProps) : null;
}

export function subscriberCount(db: Db): { confirmed: number; pending: number } {
  const row = db
    .select({
      confirmed: sql<number>`sum(case when ${subscribers.confirmedAt} is not null then 1 else 0 end)`,
      pending: sql<number>`sum(case when ${subscribers.confirmedAt} is null then 1 else 0 end)`,
    })
    .from(subscribers)
    .get();
  return { confirmed: row?.confirmed ?? 0, pending: row?.pending ?? 0 };
}

/** Emails that reached 'failed', newest first, with the provider's reason (for the NOC). */
export function failedEmails(db: Db, limit = 100) {
  return db
    .select({
      id: outboxMessages.id,
      kind: outboxMessages.kind,
      recipient: outboxMessages.recipient,
      attempts: outboxMessages.attempts,
      lastError: outboxMessages.lastError,
      createdAt: outboxMessages.createdAt,
    })
    .from(outboxMessages)
    .where(and(eq(outboxMessages.channel, 'email'), eq(outboxMessages.status, 'failed')))
    .orderBy(desc(outboxMessages.id))
    .limit(limit)
    .all();
}

/**
 * Subscriptions a provider ended (a blocked or unknown number, a deleted webhook, a bot removed
 * from a chat), newest first, from the audit log (`subscriber.gone`): what /noc tells the NOC.
 */
export function endedSubscriptions(
  db: Db,
  since: Date,
  limit = 50,
): Array<{ at: Date; channel: string; kind: string; reason: string }> {
  const rows = db.$client
    .prepare(
      `SELECT at, details FROM audit_log WHERE action = 'subscriber.gone' AND at >= ? ORDER BY at DESC, id DESC LIMIT ?`,
    )
    .all(since.getTime(), limit) as Array<{ at: number; details: string | null }>;
  return rows.map((r) => {
    const d = (r.details ? JSON.parse(r.details) : {}) as { channel?: string; kind?: string; reason?: string };
    return { at: new Date(r.at), channel: d.channel ?? '', kind: d.kind ?? '', reason: d.reason ?? '' };
  });
}
