import { and, eq, inArray, isNull, lt } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import { componentCatalogue, expandedComponentIds, resolveRefs, type Catalogue } from '../queries/catalog.ts';
import {
  subscriberComponents,
  subscribers,
  subscriberServices,
  subscriberTokens,
  subscriptionAttempts,
} from '../schema/index.ts';
import { cancelPendingMessages, enqueueMessages } from '../outbox/enqueue.ts';
import { EMAIL_CHANNEL, type EmailPayload } from '../subscriptions/payload.ts';
import {
  CONFIRM_TTL_MS,
  formatToken,
  hashSecret,
  LONGEST_RATE_WINDOW_MS,
  MANAGE_TTL_MS,
  newSecret,
  normalizeEmail,
  TOKEN_PATTERN,
} from '../subscriptions/tokens.ts';
import { withinRateLimit } from './rateLimit.ts';
import { subscriberRowForToken } from '../queries/subscribers.ts';
import { chosenScope } from '../subscriptions/choices.ts';
import { recordAudit } from './audit.ts';
import { CommandError, notFound, unknownRefs, type FieldError } from './errors.ts';
import { fieldErrors, LIMITS, parseInput, refList, serviceIdText, text } from './input.ts';
import { runCommand, writeTransaction, type CommandContext } from './transaction.ts';

export type SubscriberRow = typeof subscribers.$inferSelect;

const EMAIL_MESSAGE = 'Escriba una dirección de correo válida, p. ej. noc@empresa.com.mx.';
const CUSTOMER_ID_MESSAGE = 'El ID de cliente tiene hasta 40 letras, números, espacios, puntos o guiones.';

/** An address subscribers are reached at, normalised (lower case) as it is stored. */
export const emailAddress = text({ min: 1, max: LIMITS.email, label: 'El correo', required: EMAIL_MESSAGE })
  .refine((v) => normalizeEmail(v) !== null, EMAIL_MESSAGE)
  .transform((v) => normalizeEmail(v)!);
/** The customer's ID from their invoice; empty means none. */
export const customerId = text({ max: LIMITS.customerId, label: 'El ID de cliente' })
  .regex(/^[\p{L}\p{N} ._/-]*$/u, CUSTOMER_ID_MESSAGE)
  .transform((v) => (v === '' ? null : v))
  .nullable();
/** Component ids or slugs; empty or missing means every component. */
const componentChoice = refList;

/** What a person gives to subscribe (the sign-up form, `POST /api/v1/subscribers`). */
export const subscriptionInput = z.strictObject({
  email: emailAddress,
  components: componentChoice.optional(),
  customerId: customerId.optional(),
  /**
   * Service IDs (SOM-12345) to hear about, whatever their component. Checked for shape only: the
   * sign-up must not tell a stranger which IDs exist (the lookup page is the rate-limited way).
   */
  services: z
    .array(serviceIdText, { error: 'Envíe los IDs de servicio como una lista.' })
    .max(20, 'Hasta 20 servicios por suscripción.')
    .optional(),
});
export type SubscriptionRequest = z.input<typeof subscriptionInput> & {
  /** The client's address, for the per-IP limit. */
  ip: string;
};

/** The preferences page: which components (none = all) and the customer ID. */
export const preferencesInput = z.strictObject({
  components: componentChoice,
  customerId: customerId.optional(),
});
export type PreferencesInput = z.input<typeof preferencesInput>;

const invalidLink = () =>
  new CommandError(
    404,
    'invalid_token',
    'El enlace no es válido o ya expiró. Solicite uno nuevo desde la página de suscripción.',
  );

/** Component ids chosen by reference (components only); unknown ones at `path.index`. */
function resolveComponentIds(
  catalogue: Catalogue,
  refs: readonly string[] | undefined,
  path: string,
): { ids: string[]; errors: ReturnType<typeof resolveRefs>['unknown'] } {
  if (!refs || refs.length === 0) return { ids: [], errors: [] };
  const { found, unknown } = resolveRefs(catalogue, refs, path, 'component');
  return { ids: expandedComponentIds(found), errors: unknown };
}

function setChoices(db: Db, subscriberId: string, componentIds: string[]): void {
  db.delete(subscriberComponents).where(eq(subscriberComponents.subscriberId, subscriberId)).run();
  if (componentIds.length > 0) {
    db.insert(subscriberComponents)
      .values(componentIds.map((componentId) => ({ subscriberId, componentId })))
      .run();
  }
}

/** The service IDs a subscriber hears about: chosen ones, and those its address is technical contact of. */
export function serviceIdsOf(db: Db, subscriberId: string, email: string): string[] {
  return (
    db.$client
      .prepare(
        `SELECT service_id AS id FROM subscriber_services WHERE subscriber_id = ?
    UNION SELECT service_id FROM service_contacts WHERE email = ? ORDER BY 1`,
      )
      .all(subscriberId, email) as Array<{ id: string }>
  ).map((r) => r.id);
}

/** The service IDs a subscriber chose (subscriber_services); replaced whole. */
function setServiceChoices(db: Db, subscriberId: string, serviceIds: readonly string[]): void {
  db.delete(subscriberServices).where(eq(subscriberServices.subscriberId, subscriberId)).run();
  const unique = [...new Set(serviceIds)];
  if (unique.length > 0)
    db.insert(subscriberServices)
      .values(unique.map((serviceId) => ({ subscriberId, serviceId })))
      .run();
}

function issueToken(db: Db, subscriberId: string, purpose: 'confirm' | 'manage', now: Date): string {
  const secret = newSecret();
  const { id } = db
    .insert(subscriberTokens)
    .values({
      secretHash: hashSecret(secret),
      subscriberId,
      purpose,
      createdAt: now,
      expiresAt: new Date(now.getTime() + (purpose === 'confirm' ? CONFIRM_TTL_MS : MANAGE_TTL_MS)),
    })
    .returning({ id: subscriberTokens.id })
    .get();
  return formatToken(id, secret);
}

function enqueueEmail(db: Db, to: string, kind: string, dedupeKey: string, payload: EmailPayload, now: Date): void {
  enqueueMessages(db, [{ channel: EMAIL_CHANNEL, kind, dedupeKey, recipient: to, payload }], now);
}

/** Drops what expired: unconfirmed sign-ups, old links, old rate-limit entries. */
function purgeExpired(db: Db, now: Date): { subscribers: number } {
  const expired = db
    .delete(subscribers)
    .where(and(isNull(subscribers.confirmedAt), lt(subscribers.expiresAt, now)))
    .run().changes;
  db.delete(subscriberTokens).where(lt(subscriberTokens.expiresAt, now)).run();
  db.delete(subscriptionAttempts)
    .where(lt(subscriptionAttempts.at, new Date(now.getTime() - LONGEST_RATE_WINDOW_MS)))
    .run();
  return { subscribers: expired };
}

/**
 * The worker calls this every minute; nothing is written (no write lock taken) when nothing has
 * expired. Housekeeping, not a command: no audit row, and no public page changes.
 */
export function purgeExpiredSubscriptions(db: Db, now: Date): { subscribers: number } {
  const t = now.getTime();
  const due = db.$client
    .prepare(
      `SELECT
      EXISTS (SELECT 1 FROM subscribers WHERE confirmed_at IS NULL AND expires_at < ?) OR
      EXISTS (SELECT 1 FROM subscriber_tokens WHERE expires_at < ?) OR
      EXISTS (SELECT 1 FROM subscription_attempts WHERE at < ?) AS due`,
    )
    .get(t, t, t - LONGEST_RATE_WINDOW_MS) as { due: number };
  if (!due.due) return { subscribers: 0 };
  return writeTransaction(db, () => purgeExpired(db, now));
}

function checkRate(db: Db, scope: 'ip' | 'email', value: string, now: Date): void {
  if (!withinRateLimit(db, scope, value, now)) {
    throw new CommandError(
      429,
      'rate_limited',
      scope === 'ip'
        ? 'Demasiadas solicitudes de suscripción desde su conexión. Espere una hora e inténtelo de nuevo.'
        : 'Ya enviamos varios correos de confirmación a esta dirección. Revise su bandeja (y la carpeta de spam) o inténtelo de nuevo en una hora.',
    );
  }
}

/**
 * Double opt-in sign-up. The outcome looks the same to the caller whether the address is new,
 * pending or already confirmed (no enumeration); what differs is the email the address gets:
 * a confirmation link, or for a confirmed address a note with its preferences link (its
 * choices are not changed by someone who cannot read that mailbox).
 */
export function requestSubscription(db: Db, request: SubscriptionRequest, { now, actor }: CommandContext): void {
  const { ip, ...given } = request;
  const { email, components: choice, customerId, services: serviceIds = [] } = parseInput(subscriptionInput, given);
  // A refused attempt rolls back, so it does not count against the limits itself.
  runCommand(db, () => {
    const catalogue = componentCatalogue(db);
    const { ids, errors } = resolveComponentIds(catalogue, choice, 'components');
    if (errors.length > 0) throw unknownRefs(errors);
    purgeExpired(db, now);
    checkRate(db, 'ip', ip, now);
    checkRate(db, 'email', email, now);

    let row = db.select().from(subscribers).where(eq(subscribers.email, email)).get();
    if (row?.confirmedAt) {
      const manageToken = issueToken(db, row.id, 'manage', now);
      enqueueEmail(
        db,
        email,
        'subscription.already_subscribed',
        `already:${hashSecret(manageToken)}`,
        { template: 'already_subscribed', subscriber: row.id, manageToken },
        now,
      );
      recordAudit(db, actor, 'subscriber.request', { type: 'subscriber', id: row.id }, now, {
        outcome: 'already_confirmed',
      });
      return;
    }
    const expiresAt = new Date(now.getTime() + CONFIRM_TTL_MS);
    if (row) {
      db.update(subscribers)
        .set({
          allComponents: ids.length === 0 && serviceIds.length === 0,
          customerId: customerId ?? row.customerId,
          expiresAt,
          updatedAt: now,
        })
        .where(eq(subscribers.id, row.id))
        .run();
    } else {
      row = db
        .insert(subscribers)
        .values({
          id: newId(),
          email,
          customerId: customerId ?? null,
          kind: 'public',
          allComponents: ids.length === 0 && serviceIds.length === 0,
          confirmedAt: null,
          expiresAt,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
        .get();
    }
    setChoices(db, row.id, ids);
    setServiceChoices(db, row.id, serviceIds);
    const confirmToken = issueToken(db, row.id, 'confirm', now);
    const manageToken = issueToken(db, row.id, 'manage', now);
    enqueueEmail(
      db,
      email,
      'subscription.confirm',
      `confirm:${hashSecret(confirmToken)}`,
      {
        template: 'confirm',
        subscriber: row.id,
        confirmToken,
        manageToken,
        expiresAt: expiresAt.toISOString(),
        scope: chosenScope(catalogue, ids, serviceIds),
      },
      now,
    );
    recordAudit(db, actor, 'subscriber.request', { type: 'subscriber', id: row.id }, now, {
      outcome: 'confirmation_sent',
      components: ids.length,
      services: serviceIds.length,
    });
  });
}

function subscriberForToken(
  db: Db,
  token: string,
  purpose: 'confirm' | 'manage',
  now: Date,
): SubscriberRow | undefined {
  return subscriberRowForToken(db, token, purpose, now) ?? undefined;
}

/** Confirms a sign-up; returns a fresh preferences token for the page to link to. */
export function confirmSubscription(
  db: Db,
  token: string,
  { now, actor }: CommandContext,
): { subscriberId: string; manageToken: string } {
  return runCommand(db, () => {
    const row = subscriberForToken(db, token, 'confirm', now);
    if (!row) throw invalidLink();
    db.update(subscribers)
      .set({ confirmedAt: row.confirmedAt ?? now, expiresAt: null, updatedAt: now })
      .where(eq(subscribers.id, row.id))
      .run();
    db.delete(subscriberTokens)
      .where(and(eq(subscriberTokens.subscriberId, row.id), eq(subscriberTokens.purpose, 'confirm')))
      .run();
    recordAudit(db, actor, 'subscriber.confirm', { type: 'subscriber', id: row.id }, now);
    return { subscriberId: row.id, manageToken: issueToken(db, row.id, 'manage', now) };
  });
}

export function updatePreferences(db: Db, token: string, raw: PreferencesInput, { now, actor }: CommandContext): void {
  const input = parseInput(preferencesInput, raw);
  runCommand(db, () => {
    const row = subscriberForToken(db, token, 'manage', now);
    if (!row) throw invalidLink();
    const { ids, errors } = resolveComponentIds(componentCatalogue(db), input.components, 'components');
    if (errors.length > 0) throw unknownRefs(errors);
    const customerId = input.customerId;
    // Nothing ticked means every component, unless the subscriber hears about services of its
    // own (chosen IDs, or the inventory's technical contact): then it means those services only.
    const allComponents = ids.length === 0 && serviceIdsOf(db, row.id, row.email).length === 0;
    db.update(subscribers)
      .set({ allComponents, customerId: customerId === undefined ? row.customerId : customerId, updatedAt: now })
      .where(eq(subscribers.id, row.id))
      .run();
    setChoices(db, row.id, ids);
    recordAudit(db, actor, 'subscriber.preferences', { type: 'subscriber', id: row.id }, now, {
      components: ids.length,
    });
  });
}

/**
 * A technical contact of the service inventory who unsubscribes is remembered by address, so the
 * next import from the CRM does not sign them up again (db/commands/services.ts).
 */
function rememberOptOut(db: Db, row: SubscriberRow, now: Date): void {
  db.$client
    .prepare(
      `INSERT INTO contact_opt_outs (email, at) SELECT ?, ?
    WHERE ? = 'technical_contact' OR EXISTS (SELECT 1 FROM service_contacts WHERE email = ?)
    ON CONFLICT (email) DO NOTHING`,
    )
    .run(row.email, now.getTime(), row.kind, row.email);
}

function removeSubscriber(db: Db, row: SubscriberRow): void {
  // Messages not yet handed to a provider are withdrawn; a batch already claimed is resent
  // unchanged after a crash (idempotency), so it is left alone.
  cancelPendingMessages(db, EMAIL_CHANNEL, row.email, 'Cancelado: el suscriptor se dio de baja.');
  db.delete(subscribers).where(eq(subscribers.id, row.id)).run();
}

/**
 * One-click unsubscribe (RFC 8058) and the unsubscribe page. Idempotent: an unknown, used or
 * expired link answers the same "not subscribed any more" (nothing to reveal, nothing to retry).
 * Returns whether a subscription was removed.
 */
export function unsubscribe(db: Db, token: string, { now, actor }: CommandContext): boolean {
  if (!TOKEN_PATTERN.test(token))
    throw new CommandError(400, 'invalid_token', 'El enlace está incompleto: cópielo completo desde el correo.');
  return runCommand(db, () => {
    const row = subscriberForToken(db, token, 'manage', now) ?? subscriberForToken(db, token, 'confirm', now);
    if (!row) return false;
    rememberOptOut(db, row, now);
    removeSubscriber(db, row);
    recordAudit(db, actor, 'subscriber.unsubscribe', { type: 'subscriber', id: row.id }, now);
    return true;
  });
}

export function deleteSubscriber(db: Db, id: string, { now, actor }: CommandContext): void {
  runCommand(db, () => {
    const row = db.select().from(subscribers).where(eq(subscribers.id, id)).get();
    if (!row) throw notFound('el suscriptor', id);
    removeSubscriber(db, row);
    recordAudit(db, actor, 'subscriber.delete', { type: 'subscriber', id }, now);
  });
}

export const MAX_IMPORT_ROWS = 10_000;

/** One registered technical contact; rows are a document of their own, so their keys are the public names. */
const importRow = z.strictObject({
  email: emailAddress,
  components: componentChoice.optional(),
  customer_id: customerId.optional(),
});
/** The list itself; each row is checked apart so that every bad row is reported at once. */
const importRowsInput = z
  .array(z.unknown(), { error: 'Envíe la lista de contactos.' })
  .min(1, 'Envíe al menos un contacto.')
  .max(MAX_IMPORT_ROWS, `Hasta ${MAX_IMPORT_ROWS.toLocaleString('es-MX')} contactos por llamada.`);
export type ImportRow = z.input<typeof importRow>;

/**
 * `POST /api/v1/subscribers/import`: the caller states the contacts are already confirmed by
 * SOMNET (they get no confirmation email); the rows go to importSubscribers.
 */
export const importRequestInput = z.strictObject({
  confirmed: z.literal(true, {
    error: 'Solo se importan contactos ya confirmados por SOMNET: envíe "confirmed": true.',
  }),
  subscribers: z.array(z.unknown(), { error: 'Envíe la lista de contactos en "subscribers".' }),
});

/**
 * SOMNET's registered technical contacts, already confirmed by SOMNET: all rows or none. A
 * known address becomes a technical contact, confirmed, with the given choices.
 */
export function importSubscribers(
  db: Db,
  raw: readonly ImportRow[],
  { now, actor }: CommandContext,
): { created: number; updated: number } {
  const rows = parseInput(importRowsInput, raw, { path: 'subscribers' });
  return runCommand(db, () => {
    const errors: FieldError[] = [];
    const seen = new Map<string, number>();
    const catalogue = componentCatalogue(db);
    const prepared = rows.map((given, i) => {
      const parsed = importRow.safeParse(given);
      if (!parsed.success) {
        errors.push(...fieldErrors(parsed.error, `subscribers.${i}`));
        return { email: '', customerId: null, ids: [] };
      }
      const r = parsed.data;
      if (seen.has(r.email))
        errors.push({ path: `subscribers.${i}.email`, message: `Repetida (también en la fila ${seen.get(r.email)}).` });
      else seen.set(r.email, i);
      const resolved = resolveComponentIds(catalogue, r.components, `subscribers.${i}.components`);
      errors.push(...resolved.errors.map(({ path, message }) => ({ path, message })));
      return { email: r.email, customerId: r.customer_id ?? null, ids: resolved.ids };
    });
    if (errors.length > 0)
      throw new CommandError(
        422,
        'validation_failed',
        `${errors.length} fila(s) no válidas; no se importó ninguna.`,
        errors,
      );

    const existing = new Map<string, SubscriberRow>();
    for (let i = 0; i < prepared.length; i += 500) {
      const part = prepared.slice(i, i + 500).map((p) => p.email);
      for (const row of db.select().from(subscribers).where(inArray(subscribers.email, part)).all())
        existing.set(row.email, row);
    }
    let created = 0;
    let updated = 0;
    for (const p of prepared) {
      const known = existing.get(p.email);
      let id: string;
      if (known) {
        id = known.id;
        db.update(subscribers)
          .set({
            kind: 'technical_contact',
            allComponents: p.ids.length === 0,
            customerId: p.customerId ?? known.customerId,
            confirmedAt: known.confirmedAt ?? now,
            expiresAt: null,
            updatedAt: now,
          })
          .where(eq(subscribers.id, id))
          .run();
        updated++;
      } else {
        id = newId();
        db.insert(subscribers)
          .values({
            id,
            email: p.email,
            customerId: p.customerId,
            kind: 'technical_contact',
            allComponents: p.ids.length === 0,
            confirmedAt: now,
            expiresAt: null,
            createdAt: now,
            updatedAt: now,
          })
          .run();
        created++;
      }
      setChoices(db, id, p.ids);
    }
    recordAudit(db, actor, 'subscriber.import', { type: 'subscriber' }, now, { created, updated });
    return { created, updated };
  });
}
