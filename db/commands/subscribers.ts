import { and, eq, inArray, isNull, lt } from 'drizzle-orm';
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import { componentCatalogue, expandedComponentIds, resolveRefs, type Catalogue } from '../queries/catalog.ts';
import {
  subscriberCodes,
  subscriberComponents,
  subscribers,
  subscriberServices,
  subscriberTokens,
  subscriptionAttempts,
} from '../schema/index.ts';
import {
  CHANNELS,
  normalizeAddress,
  subscriberChannels,
  type AddressPolicy,
  type SubscriberChannel,
} from '../subscriptions/channels.ts';
import { cancelPendingMessages, enqueueMessages, UNSUBSCRIBED_REASON } from '../outbox/enqueue.ts';
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
import { noteChange, recordAudit } from './audit.ts';
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

const CHANNEL_MESSAGE = `El canal es uno de: ${subscriberChannels.join(', ')}.`;
/** A channel's name as the API takes it. */
export const channelName = z.enum(subscriberChannels, { error: CHANNEL_MESSAGE });
/** An address as typed; its form per channel is checked by normalizeAddress (db/subscriptions/channels.ts). */
const addressText = text({
  min: 1,
  max: LIMITS.address,
  label: 'La dirección',
  required: 'Escriba la dirección de este canal.',
});

/**
 * What a person gives to subscribe (the sign-up form, `POST /api/v1/subscribers`): an `email`
 * (today's form), or a `channel` and an `address` in that channel's form.
 */
export const subscriptionInput = z.strictObject({
  email: emailAddress.optional(),
  channel: channelName.optional(),
  address: addressText.optional(),
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
  /** Which channels this server offers (configured) and how far chat webhooks may point. */
  policy?: ChannelPolicy;
};

/** The channels a server offers (a channel without configuration is not) and where chat webhooks may point. */
export interface ChannelPolicy extends AddressPolicy {
  offered: readonly SubscriberChannel[];
}
export const EMAIL_ONLY: ChannelPolicy = { offered: ['email'], allowPrivateTargets: false };

/**
 * The channel and address a request names, checked against the offered channels: `email`, or
 * `channel` + `address`. Field errors at `email`, `channel` or `address`.
 */

/** The subscriber at this address on this channel (the unique index's order), if any. */
function subscriberAt(db: Db, channel: SubscriberChannel, address: string) {
  return db
    .select()
    .from(subscribers)
    .where(and(eq(subscribers.channel, channel), eq(subscribers.address, address)))
    .get();
}
export function requestedAddress(
  given: { email?: string; channel?: SubscriberChannel; address?: string },
  policy: ChannelPolicy,
  path = '',
): { channel: SubscriberChannel; address: string } {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const fail = (field: string, message: string) =>
    new CommandError(422, 'validation_failed', 'Algunos campos no son válidos.', [{ path: at(field), message }]);
  if (given.email !== undefined) {
    if (given.channel !== undefined && given.channel !== 'email')
      throw fail('channel', 'Con «email» el canal es email; para otro canal envíe «channel» y «address».');
    if (given.address !== undefined) throw fail('address', 'Envíe «email» o «address», no ambos.');
    return { channel: 'email', address: given.email };
  }
  const channel = given.channel ?? 'email';
  if (given.address === undefined)
    throw fail(given.channel ? 'address' : 'email', 'Escriba la dirección de este canal.');
  if (!policy.offered.includes(channel))
    throw fail('channel', `Este servidor no ofrece avisos por ${CHANNELS[channel].label}.`);
  const checked = normalizeAddress(channel, given.address, policy);
  if (!checked.ok) throw fail('address', checked.message);
  return { channel, address: checked.address };
}

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
export function serviceIdsOf(db: Db, subscriberId: string, address: string): string[] {
  return (
    db.$client
      .prepare(
        `SELECT service_id AS id FROM subscriber_services WHERE subscriber_id = ?
    UNION SELECT service_id FROM service_contacts WHERE email = ? ORDER BY 1`,
      )
      .all(subscriberId, address) as Array<{ id: string }>
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

function checkRate(
  db: Db,
  scope: 'ip' | 'email',
  value: string,
  now: Date,
  channel: SubscriberChannel = 'email',
): void {
  // Per address of any channel; an email keeps the key it always had.
  const key = scope === 'email' && channel !== 'email' ? `${channel}:${value}` : value;
  if (!withinRateLimit(db, scope, key, now)) {
    throw new CommandError(
      429,
      'rate_limited',
      scope === 'ip'
        ? 'Demasiadas solicitudes de suscripción desde su conexión. Espere una hora e inténtelo de nuevo.'
        : channel === 'email'
          ? 'Ya enviamos varios correos de confirmación a esta dirección. Revise su bandeja (y la carpeta de spam) o inténtelo de nuevo en una hora.'
          : 'Ya enviamos varias confirmaciones a esta dirección. Revise los mensajes recibidos o inténtelo de nuevo en una hora.',
    );
  }
}

/** How long a phone's code is valid, and how many wrong tries it takes. */
export const CODE_TTL_MS = 10 * 60_000;
export const CODE_MAX_ATTEMPTS = 5;

const codeHash = (subscriberId: string, code: string) =>
  createHash('sha256').update(`somnet-code:${subscriberId}:${code}`).digest('hex');

/** A new 6-digit code for a phone channel: only its hash is kept; the raw code rides the outbox row until sent. */
function issueCode(db: Db, subscriberId: string, now: Date): { code: string; expiresAt: Date } {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(now.getTime() + CODE_TTL_MS);
  db.insert(subscriberCodes)
    .values({ subscriberId, codeHash: codeHash(subscriberId, code), attempts: 0, expiresAt })
    .onConflictDoUpdate({
      target: subscriberCodes.subscriberId,
      set: { codeHash: codeHash(subscriberId, code), attempts: 0, expiresAt },
    })
    .run();
  return { code, expiresAt };
}

/** What the person must do next: open the emailed link, type the code sent to the phone, or open the card posted in the chat. */
export type ConfirmationStep = 'link' | 'code' | 'card';

/**
 * Double opt-in sign-up, on any offered channel. The outcome looks the same to the caller whether
 * the address is new, pending or already confirmed (no enumeration); what differs is what the
 * address gets: an email's confirmation link, a phone's 6-digit code (SMS or WhatsApp), a chat's
 * confirmation card with a link (only someone who reads that channel can confirm it); a
 * confirmed email gets a note with its preferences link (its choices are not changed by someone
 * who cannot read that mailbox).
 */
export function requestSubscription(
  db: Db,
  request: SubscriptionRequest,
  { now, actor }: CommandContext,
): { channel: SubscriberChannel; address: string; step: ConfirmationStep } {
  const { ip, policy = EMAIL_ONLY, ...given } = request;
  const parsed = parseInput(subscriptionInput, given);
  const { components: choice, customerId, services: serviceIds = [] } = parsed;
  const { channel, address } = requestedAddress(parsed, policy);
  const step: ConfirmationStep =
    CHANNELS[channel].kind === 'phone' ? 'code' : CHANNELS[channel].kind === 'email' ? 'link' : 'card';
  // A refused attempt rolls back, so it does not count against the limits itself.
  runCommand(db, () => {
    const catalogue = componentCatalogue(db);
    const { ids, errors } = resolveComponentIds(catalogue, choice, 'components');
    if (errors.length > 0) throw unknownRefs(errors);
    purgeExpired(db, now);
    checkRate(db, 'ip', ip, now);
    checkRate(db, 'email', address, now, channel);

    let row = subscriberAt(db, channel, address);
    if (row?.confirmedAt) {
      // Only an email is told again (a link to its preferences): a repeated SMS or chat card would
      // cost money or noise for nothing.
      if (channel === 'email') {
        const manageToken = issueToken(db, row.id, 'manage', now);
        enqueueEmail(
          db,
          address,
          'subscription.already_subscribed',
          `already:${hashSecret(manageToken)}`,
          { template: 'already_subscribed', subscriber: row.id, manageToken },
          now,
        );
      }
      recordAudit(db, actor, 'subscriber.request', { type: 'subscriber', id: row.id }, now, {
        outcome: 'already_confirmed',
        channel,
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
          channel,
          address,
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
    if (step === 'code') {
      const { code, expiresAt: codeExpires } = issueCode(db, row.id, now);
      enqueueMessages(
        db,
        [
          {
            channel,
            kind: 'subscription.code',
            dedupeKey: `code:${codeHash(row.id, code)}:${now.getTime()}`,
            recipient: address,
            payload: { template: 'code', subscriber: row.id, code, expiresAt: codeExpires.toISOString() },
          },
        ],
        now,
      );
    } else {
      const confirmToken = issueToken(db, row.id, 'confirm', now);
      const manageToken = issueToken(db, row.id, 'manage', now);
      enqueueMessages(
        db,
        [
          {
            channel,
            kind: 'subscription.confirm',
            dedupeKey: `confirm:${hashSecret(confirmToken)}`,
            recipient: address,
            payload: {
              template: 'confirm',
              subscriber: row.id,
              confirmToken,
              manageToken,
              expiresAt: expiresAt.toISOString(),
              scope: chosenScope(catalogue, ids, serviceIds),
            } satisfies EmailPayload,
          },
        ],
        now,
      );
    }
    recordAudit(db, actor, 'subscriber.request', { type: 'subscriber', id: row.id }, now, {
      outcome: step === 'code' ? 'code_sent' : 'confirmation_sent',
      channel,
      components: ids.length,
      services: serviceIds.length,
    });
  });
  return { channel, address, step };
}

/** A phone's code typed back: `{ channel, address, code }` (the sign-up form's second step, `POST /api/v1/subscribers/verify`). */
export const codeInput = z.strictObject({
  channel: channelName,
  address: addressText,
  code: z.string({ error: 'Escriba el código de 6 dígitos que le enviamos.' }).regex(/^\s*\d{6}\s*$/, {
    error: 'Escriba el código de 6 dígitos que le enviamos.',
  }),
});

const wrongCode = (message = 'El código no es correcto o ya venció. Revise el último mensaje o pida uno nuevo.') =>
  new CommandError(422, 'invalid_code', message, [{ path: 'code', message }]);

/**
 * Confirms a phone number with the code sent to it. Wrong tries are counted (and kept, although
 * the answer is a refusal): after CODE_MAX_ATTEMPTS the code is dead and a new sign-up sends another.
 */
export function confirmCode(
  db: Db,
  raw: z.input<typeof codeInput> & { policy?: ChannelPolicy },
  { now, actor }: CommandContext,
): { subscriberId: string; manageToken: string } {
  const { policy = EMAIL_ONLY, ...given } = raw;
  const input = parseInput(codeInput, given);
  const { channel, address } = requestedAddress(input, policy);
  const code = input.code.trim();
  const outcome = runCommand(db, () => {
    // A wrong or unknown code may write nothing: still a subscriber's matter, not a public one.
    noteChange(db, 'subscriber');
    const row = subscriberAt(db, channel, address);
    const pending = row
      ? db.select().from(subscriberCodes).where(eq(subscriberCodes.subscriberId, row.id)).get()
      : undefined;
    if (!row || !pending || pending.expiresAt.getTime() <= now.getTime() || pending.attempts >= CODE_MAX_ATTEMPTS)
      return { ok: false as const };
    const expected = Buffer.from(pending.codeHash);
    if (!timingSafeEqual(expected, Buffer.from(codeHash(row.id, code)))) {
      db.update(subscriberCodes)
        .set({ attempts: pending.attempts + 1 })
        .where(eq(subscriberCodes.subscriberId, row.id))
        .run();
      recordAudit(db, actor, 'subscriber.code_refused', { type: 'subscriber', id: row.id }, now, {
        attempts: pending.attempts + 1,
      });
      return { ok: false as const };
    }
    db.update(subscribers)
      .set({ confirmedAt: row.confirmedAt ?? now, expiresAt: null, updatedAt: now })
      .where(eq(subscribers.id, row.id))
      .run();
    db.delete(subscriberCodes).where(eq(subscriberCodes.subscriberId, row.id)).run();
    recordAudit(db, actor, 'subscriber.confirm', { type: 'subscriber', id: row.id }, now, { channel });
    return { ok: true as const, subscriberId: row.id, manageToken: issueToken(db, row.id, 'manage', now) };
  });
  if (!outcome.ok) throw wrongCode();
  return { subscriberId: outcome.subscriberId, manageToken: outcome.manageToken };
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
    const allComponents = ids.length === 0 && serviceIdsOf(db, row.id, row.address).length === 0;
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
  if (row.channel !== 'email') return;
  db.$client
    .prepare(
      `INSERT INTO contact_opt_outs (email, at) SELECT ?, ?
    WHERE ? = 'technical_contact' OR EXISTS (SELECT 1 FROM service_contacts WHERE email = ?)
    ON CONFLICT (email) DO NOTHING`,
    )
    .run(row.address, now.getTime(), row.kind, row.address);
}

function removeSubscriber(db: Db, row: SubscriberRow): void {
  // Messages not yet handed to a provider are withdrawn; a batch already claimed is resent
  // unchanged after a crash (idempotency), so it is left alone.
  cancelPendingMessages(db, row.channel, row.address, UNSUBSCRIBED_REASON);
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
    noteChange(db, 'subscriber');
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

/**
 * «BAJA» or «STOP» by SMS or WhatsApp, `/baja` on Telegram: the address leaves at once (the
 * provider's webhook signature is the authority). Returns whether it was subscribed.
 */
export function unsubscribeAddress(
  db: Db,
  channel: SubscriberChannel,
  address: string,
  { now, actor }: CommandContext,
): boolean {
  return runCommand(db, () => {
    // Anyone can text «BAJA»: one from an unknown number writes nothing and is no public change.
    noteChange(db, 'subscriber');
    const row = subscriberAt(db, channel, address);
    if (!row) return false;
    removeSubscriber(db, row);
    recordAudit(db, actor, 'subscriber.unsubscribe', { type: 'subscriber', id: row.id }, now, { channel });
    return true;
  });
}

/**
 * The provider says the address is gone (a blocked or unknown number, a deleted webhook, a bot
 * removed from a chat): the subscription ends and the audit log tells the NOC why
 * (`subscriber.gone`, listed on /noc). Returns whether a subscription ended.
 */
export function endSubscription(
  db: Db,
  channel: SubscriberChannel,
  address: string,
  reason: string,
  { now, actor }: CommandContext,
): boolean {
  return runCommand(db, () => {
    // A provider's report about an address we never had writes nothing: no public change either.
    noteChange(db, 'subscriber');
    const row = subscriberAt(db, channel, address);
    if (!row) return false;
    removeSubscriber(db, row);
    recordAudit(db, actor, 'subscriber.gone', { type: 'subscriber', id: row.id }, now, {
      channel,
      kind: row.kind,
      reason: reason.slice(0, 500),
    });
    return true;
  });
}

/**
 * Telegram's `/start <zona>` from the deep link `https://t.me/<bot>?start=<zona>`: the chat itself
 * asked, so it is subscribed at once, to that area (its slug), that service (`SOM-12345`) or every
 * component (`todas`, or nothing). A chat already subscribed adds the choice to what it had.
 */
export function subscribeTelegramChat(
  db: Db,
  chatId: string,
  start: string,
  { now, actor }: CommandContext,
): { subscriberId: string; scope: string[]; manageToken: string } {
  if (!/^-?\d{1,20}$/.test(chatId)) throw new CommandError(422, 'validation_failed', 'Chat de Telegram inválido.');
  return runCommand(db, () => {
    const catalogue = componentCatalogue(db);
    const wanted = start.trim();
    let componentIds: string[] = [];
    let serviceIds: string[] = [];
    if (/^SOM-[A-Z0-9-]+$/i.test(wanted)) serviceIds = [wanted.toUpperCase()];
    else if (wanted && wanted !== 'todas') {
      const { found } = resolveRefs(catalogue, [wanted], 'start', 'any');
      if (found.length === 0) throw new CommandError(422, 'unknown_zone', `No hay una zona «${wanted}».`);
      componentIds = expandedComponentIds(found);
    }
    let row = db
      .select()
      .from(subscribers)
      .where(and(eq(subscribers.channel, 'telegram'), eq(subscribers.address, chatId)))
      .get();
    const everything = componentIds.length === 0 && serviceIds.length === 0;
    if (!row) {
      row = db
        .insert(subscribers)
        .values({
          id: newId(),
          channel: 'telegram',
          address: chatId,
          kind: 'public',
          allComponents: everything,
          confirmedAt: now,
          expiresAt: null,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
        .get();
      setChoices(db, row.id, componentIds);
      setServiceChoices(db, row.id, serviceIds);
    } else {
      const had = db
        .select({ id: subscriberComponents.componentId })
        .from(subscriberComponents)
        .where(eq(subscriberComponents.subscriberId, row.id))
        .all()
        .map((r) => r.id);
      const hadServices = serviceIdsOf(db, row.id, row.address);
      const all = everything || (row.confirmedAt !== null && row.allComponents);
      db.update(subscribers)
        .set({ allComponents: all, confirmedAt: row.confirmedAt ?? now, expiresAt: null, updatedAt: now })
        .where(eq(subscribers.id, row.id))
        .run();
      setChoices(db, row.id, all ? [] : [...new Set([...had, ...componentIds])]);
      setServiceChoices(db, row.id, [...new Set([...hadServices, ...serviceIds])]);
      componentIds = all ? [] : [...new Set([...had, ...componentIds])];
      serviceIds = [...new Set([...hadServices, ...serviceIds])];
    }
    recordAudit(db, actor, 'subscriber.confirm', { type: 'subscriber', id: row.id }, now, {
      channel: 'telegram',
      start: wanted || 'todas',
    });
    return {
      subscriberId: row.id,
      scope: chosenScope(catalogue, componentIds, serviceIds),
      manageToken: issueToken(db, row.id, 'manage', now),
    };
  });
}

export const MAX_IMPORT_ROWS = 10_000;

/** One registered technical contact; rows are a document of their own, so their keys are the public names. */
export const importRow = z.strictObject({
  email: emailAddress.optional(),
  channel: channelName.optional(),
  address: addressText.optional(),
  components: componentChoice.optional(),
  customer_id: customerId.optional(),
  service_ids: z
    .array(serviceIdText, { error: 'Envíe los IDs de servicio como una lista.' })
    .max(100, 'Hasta 100 servicios por contacto.')
    .optional(),
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
  policy: AddressPolicy = { allowPrivateTargets: false },
): { created: number; updated: number } {
  const rows = parseInput(importRowsInput, raw, { path: 'subscribers' });
  // SOMNET registers its contacts on any channel, configured or not yet: they wait in the outbox.
  const importPolicy: ChannelPolicy = { ...policy, offered: subscriberChannels };
  return runCommand(db, () => {
    const errors: FieldError[] = [];
    const seen = new Map<string, number>();
    const catalogue = componentCatalogue(db);
    const prepared = rows.map((given, i) => {
      const none = { channel: 'email' as SubscriberChannel, address: '', customerId: null, ids: [], services: [] };
      const parsed = importRow.safeParse(given);
      if (!parsed.success) {
        errors.push(...fieldErrors(parsed.error, `subscribers.${i}`));
        return none;
      }
      const r = parsed.data;
      let target: { channel: SubscriberChannel; address: string };
      try {
        target = requestedAddress(r, importPolicy, `subscribers.${i}`);
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        errors.push(...(err.fields ?? []));
        return none;
      }
      const key = `${target.channel}:${target.address}`;
      const field = r.email !== undefined ? 'email' : 'address';
      if (seen.has(key))
        errors.push({ path: `subscribers.${i}.${field}`, message: `Repetida (también en la fila ${seen.get(key)}).` });
      else seen.set(key, i);
      const resolved = resolveComponentIds(catalogue, r.components, `subscribers.${i}.components`);
      errors.push(...resolved.errors.map(({ path, message }) => ({ path, message })));
      return {
        ...target,
        customerId: r.customer_id ?? null,
        ids: resolved.ids,
        services: r.service_ids ?? [],
      };
    });
    if (errors.length > 0)
      throw new CommandError(
        422,
        'validation_failed',
        `${errors.length} fila(s) no válidas; no se importó ninguna.`,
        errors,
      );

    // Looked up by channel and address, the unique index's order.
    const existing = new Map<string, SubscriberRow>();
    for (const channel of new Set(prepared.map((p) => p.channel))) {
      const addresses = prepared.filter((p) => p.channel === channel).map((p) => p.address);
      for (let i = 0; i < addresses.length; i += 500)
        for (const row of db
          .select()
          .from(subscribers)
          .where(and(eq(subscribers.channel, channel), inArray(subscribers.address, addresses.slice(i, i + 500))))
          .all())
          existing.set(`${row.channel}:${row.address}`, row);
    }
    let created = 0;
    let updated = 0;
    for (const p of prepared) {
      const known = existing.get(`${p.channel}:${p.address}`);
      let id: string;
      if (known) {
        id = known.id;
        db.update(subscribers)
          .set({
            kind: 'technical_contact',
            allComponents: p.ids.length === 0 && p.services.length === 0,
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
            channel: p.channel,
            address: p.address,
            customerId: p.customerId,
            kind: 'technical_contact',
            allComponents: p.ids.length === 0 && p.services.length === 0,
            confirmedAt: now,
            expiresAt: null,
            createdAt: now,
            updatedAt: now,
          })
          .run();
        created++;
      }
      setChoices(db, id, p.ids);
      setServiceChoices(db, id, p.services);
    }
    recordAudit(db, actor, 'subscriber.import', { type: 'subscriber' }, now, { created, updated });
    return { created, updated };
  });
}
