import { and, desc, eq, gt, gte, inArray, isNotNull, isNull, like, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import type { SubscriberChannel } from '../enums.ts';
import { maskedAddress } from '../subscriptions/channels.ts';
import { slaState, type SlaState } from '../domain/businessHours.ts';
import type { ConsoleRole } from '../enums.ts';
import {
  auditLog,
  consolePasskeys,
  consoleRecoveryCodes,
  consoleSessions,
  consoleUsers,
  subscriberComponents,
  subscribers,
} from '../schema/index.ts';
import type { SignInMethod } from '../enums.ts';
import { unresolvedIncidents, type IncidentView } from './incidents.ts';

export interface ConsoleSession {
  sessionId: number;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  method: SignInMethod;
  /** False while a password sign-in still owes the second factor. */
  complete: boolean;
  /** A TOTP secret shown for enrolment, not yet confirmed. */
  pendingTotpSecret: string | null;
  /** The WebAuthn challenge this session was last given. */
  challenge: string | null;
  user: {
    id: number;
    email: string;
    role: ConsoleRole;
    mustChangePassword: boolean;
    hasTotp: boolean;
    passkeys: number;
  };
}

const passkeyCount = sql<number>`(SELECT count(*) FROM ${consolePasskeys} WHERE ${consolePasskeys.userId} = ${consoleUsers.id})`;

/**
 * The signed-in user for a session cookie's hash, or null when unknown, expired (12 h, or
 * 10 minutes for a sign-in still owing its second factor), idle longer than `idleMs`, or of a
 * disabled user.
 */
export function consoleSessionByHash(db: Db, tokenHash: string, now: Date, idleMs: number): ConsoleSession | null {
  const row = db
    .select({ session: consoleSessions, user: consoleUsers, passkeys: passkeyCount })
    .from(consoleSessions)
    .innerJoin(consoleUsers, eq(consoleUsers.id, consoleSessions.userId))
    .where(
      and(
        eq(consoleSessions.tokenHash, tokenHash),
        gt(consoleSessions.expiresAt, now),
        gt(consoleSessions.lastSeenAt, new Date(now.getTime() - idleMs)),
      ),
    )
    .get();
  if (!row || row.user.disabledAt) return null;
  return {
    sessionId: row.session.id,
    csrfToken: row.session.csrfToken,
    createdAt: row.session.createdAt,
    expiresAt: row.session.expiresAt,
    lastSeenAt: row.session.lastSeenAt,
    method: row.session.method,
    complete: row.session.complete,
    pendingTotpSecret: row.session.pendingTotpSecret,
    challenge: row.session.challenge,
    user: {
      id: row.user.id,
      email: row.user.email,
      role: row.user.role,
      mustChangePassword: row.user.mustChangePassword,
      hasTotp: row.user.totpSecret !== null,
      passkeys: row.passkeys,
    },
  };
}

export interface OwnSessionView {
  id: number;
  createdAt: Date;
  lastSeenAt: Date;
  address: string;
  userAgent: string;
  method: SignInMethod;
  current: boolean;
}

/** A user's open sessions (complete, not expired, not idle), the most recently seen first. */
export function ownSessions(db: Db, userId: number, currentId: number, now: Date, idleMs: number): OwnSessionView[] {
  return db
    .select()
    .from(consoleSessions)
    .where(
      and(
        eq(consoleSessions.userId, userId),
        eq(consoleSessions.complete, true),
        gt(consoleSessions.expiresAt, now),
        gt(consoleSessions.lastSeenAt, new Date(now.getTime() - idleMs)),
      ),
    )
    .orderBy(desc(consoleSessions.lastSeenAt), desc(consoleSessions.id))
    .all()
    .map((s) => ({
      id: s.id,
      createdAt: s.createdAt,
      lastSeenAt: s.lastSeenAt,
      address: s.address,
      userAgent: s.userAgent,
      method: s.method,
      current: s.id === currentId,
    }));
}

export interface SecondFactorView {
  totpEnabledAt: Date | null;
  recoveryCodesLeft: number;
  passkeys: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null; backedUp: boolean }[];
}

/** What protects a user's sign-in, for the account security page. */
export function secondFactorOf(db: Db, userId: number): SecondFactorView {
  const user = db
    .select({ totpEnabledAt: consoleUsers.totpEnabledAt })
    .from(consoleUsers)
    .where(eq(consoleUsers.id, userId))
    .get();
  const left =
    db
      .select({ n: sql<number>`count(*)` })
      .from(consoleRecoveryCodes)
      .where(and(eq(consoleRecoveryCodes.userId, userId), isNull(consoleRecoveryCodes.usedAt)))
      .get()?.n ?? 0;
  const passkeys = db
    .select()
    .from(consolePasskeys)
    .where(eq(consolePasskeys.userId, userId))
    .orderBy(consolePasskeys.createdAt)
    .all()
    .map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt, lastUsedAt: p.lastUsedAt, backedUp: p.backedUp }));
  return { totpEnabledAt: user?.totpEnabledAt ?? null, recoveryCodesLeft: left, passkeys };
}

export interface ConsoleUserView {
  id: number;
  email: string;
  role: ConsoleRole;
  mustChangePassword: boolean;
  lockedUntil: Date | null;
  disabledAt: Date | null;
  createdAt: Date;
  activeSessions: number;
  /** "TOTP", "2 llaves de acceso"…; empty when the user has no second factor. */
  secondFactors: { totp: boolean; passkeys: number };
  /** Signs in through the identity provider (no password of its own). */
  sso: boolean;
}

export function consoleUsersList(db: Db, now: Date): ConsoleUserView[] {
  const sessions = db
    .select({ userId: consoleSessions.userId, n: sql<number>`count(*)` })
    .from(consoleSessions)
    .where(gt(consoleSessions.expiresAt, now))
    .groupBy(consoleSessions.userId)
    .all();
  const counts = new Map(sessions.map((s) => [s.userId, s.n]));
  return db
    .select({ u: consoleUsers, passkeys: passkeyCount })
    .from(consoleUsers)
    .orderBy(consoleUsers.email)
    .all()
    .map(({ u, passkeys }) => ({
      id: u.id,
      email: u.email,
      role: u.role,
      mustChangePassword: u.mustChangePassword,
      lockedUntil: u.lockedUntil && u.lockedUntil > now ? u.lockedUntil : null,
      disabledAt: u.disabledAt,
      createdAt: u.createdAt,
      activeSessions: counts.get(u.id) ?? 0,
      secondFactors: { totp: u.totpSecret !== null, passkeys },
      sso: u.passwordHash === '!',
    }));
}

export interface AuditFilter {
  /** Matches the actor's name (email, token name) anywhere. */
  actor?: string;
  /** Prefix of the action, e.g. "incident" or "incident.update". */
  action?: string;
  subject?: string;
  from?: Date;
  to?: Date;
  page?: number;
}

export interface AuditEntryView {
  id: number;
  at: Date;
  actorKind: string;
  actorName: string;
  action: string;
  subjectType: string;
  subjectId: string | null;
  details: string | null;
}

export const AUDIT_PAGE_SIZE = 100;

/** Audit rows newest first, filtered; one page plus whether there is a next one. */
export function auditEntries(db: Db, filter: AuditFilter): { entries: AuditEntryView[]; hasMore: boolean } {
  const where: SQL[] = [];
  if (filter.actor) where.push(like(auditLog.actorName, `%${escapeLike(filter.actor)}%`));
  if (filter.action) where.push(like(auditLog.action, `${escapeLike(filter.action)}%`));
  if (filter.subject)
    where.push(
      or(
        like(auditLog.subjectId, `%${escapeLike(filter.subject)}%`),
        like(auditLog.subjectType, `${escapeLike(filter.subject)}%`),
      )!,
    );
  if (filter.from) where.push(gte(auditLog.at, filter.from));
  if (filter.to) where.push(lt(auditLog.at, filter.to));
  const page = Math.max(1, filter.page ?? 1);
  const rows = db
    .select()
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(AUDIT_PAGE_SIZE + 1)
    .offset((page - 1) * AUDIT_PAGE_SIZE)
    .all();
  return { entries: rows.slice(0, AUDIT_PAGE_SIZE), hasMore: rows.length > AUDIT_PAGE_SIZE };
}

/** Distinct action names, for the filter's list. */
export function auditActions(db: Db): string[] {
  return db
    .selectDistinct({ action: auditLog.action })
    .from(auditLog)
    .orderBy(auditLog.action)
    .all()
    .map((r) => r.action);
}

export interface ConsoleSubscriberFilter {
  /** Part of the address or of the customer ID. */
  search?: string;
  state?: 'confirmed' | 'pending';
  page?: number;
}

export interface ConsoleSubscriberView {
  id: string;
  channel: SubscriberChannel;
  /** The address as the NOC may see it (a chat webhook's secret path is shortened). */
  email: string;
  kind: 'public' | 'technical_contact';
  customerId: string | null;
  confirmedAt: Date | null;
  createdAt: Date;
  /** Chosen component ids; null = every component. */
  componentIds: string[] | null;
}

export const SUBSCRIBER_PAGE_SIZE = 100;

/**
 * Subscribers for the console's read-only list (NOC and admin), newest first, one page at a time:
 * there may be 100,000 of them, so neither the rows nor their component choices are all loaded.
 */
export function consoleSubscribers(
  db: Db,
  filter: ConsoleSubscriberFilter,
): { entries: ConsoleSubscriberView[]; hasMore: boolean } {
  const where: SQL[] = [];
  if (filter.search) {
    const text = `%${escapeLike(filter.search.toLowerCase())}%`;
    where.push(or(like(subscribers.address, text), like(sql`lower(${subscribers.customerId})`, text))!);
  }
  if (filter.state === 'confirmed') where.push(isNotNull(subscribers.confirmedAt));
  if (filter.state === 'pending') where.push(isNull(subscribers.confirmedAt));
  const page = Math.max(1, filter.page ?? 1);
  const rows = db
    .select()
    .from(subscribers)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(subscribers.createdAt), subscribers.address)
    .limit(SUBSCRIBER_PAGE_SIZE + 1)
    .offset((page - 1) * SUBSCRIBER_PAGE_SIZE)
    .all();
  const shown = rows.slice(0, SUBSCRIBER_PAGE_SIZE);
  const chosen = new Map<string, string[]>();
  const partial = shown.filter((r) => !r.allComponents).map((r) => r.id);
  if (partial.length) {
    for (const c of db
      .select()
      .from(subscriberComponents)
      .where(inArray(subscriberComponents.subscriberId, partial))
      .all()) {
      chosen.set(c.subscriberId, [...(chosen.get(c.subscriberId) ?? []), c.componentId]);
    }
  }
  return {
    entries: shown.map((r) => ({
      id: r.id,
      channel: r.channel,
      email: maskedAddress(r.channel, r.address),
      kind: r.kind,
      customerId: r.customerId,
      confirmedAt: r.confirmedAt,
      createdAt: r.createdAt,
      componentIds: r.allComponents ? null : (chosen.get(r.id) ?? []),
    })),
    hasMore: rows.length > SUBSCRIBER_PAGE_SIZE,
  };
}

function escapeLike(text: string): string {
  // drizzle's like() has no ESCAPE clause; % and _ in a filter are rare enough to drop.
  return text.replace(/[%_]/g, '');
}

export interface OpenIncidentSla {
  incident: IncidentView;
  lastPublicUpdateAt: Date;
  sla: SlaState;
}

/** Open incidents with the time since their last public update against their SLA; overdue first. */
export function openIncidentsWithSla(db: Db, now: Date): OpenIncidentSla[] {
  return unresolvedIncidents(db)
    .map((incident) => {
      const lastPublicUpdateAt = incident.updates[0]?.displayAt ?? incident.startedAt;
      return { incident, lastPublicUpdateAt, sla: slaState(incident.impact, lastPublicUpdateAt, now) };
    })
    .sort((a, b) => Number(b.sla.overdue) - Number(a.sla.overdue));
}
