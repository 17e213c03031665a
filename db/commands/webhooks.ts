import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { webhookUrlProblem, type TargetPolicy } from '../domain/webhookTargets.ts';
import { newId } from '../ids.ts';
import { outboxMessages, webhookEndpoints } from '../schema/index.ts';
import { recordAudit, systemActor } from './audit.ts';
import { componentCatalogue, resolveRefs } from '../queries/catalog.ts';
import { CommandError, notFound, unknownRefs } from './errors.ts';
import { parseInput, refList, text } from './input.ts';
import { runCommand, writeTransaction, type CommandContext } from './transaction.ts';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;

export const WEBHOOK_CHANNEL = 'webhook';

/** A receiver of Statuspage-style webhooks. */
export const webhookEndpointInput = z.strictObject({
  url: text({ min: 1, max: 2000, label: 'La URL', required: 'Indique la URL que recibirá los avisos.' }),
  /** Component or area ids/slugs; an area stands for its components, present and future. Omitted: everything. */
  components: refList
    .min(1, 'Indique al menos un componente o una zona, u omita el campo para recibirlo todo.')
    .nullable()
    .optional(),
  /** At least 16 characters; generated (and returned once) when omitted. */
  secret: z
    .string({ error: 'El secreto debe ser texto.' })
    .min(16, 'El secreto debe tener al menos 16 caracteres.')
    .max(200, 'El secreto no puede pasar de 200 caracteres.')
    .optional(),
  description: text({ max: 500, label: 'La descripción' }).nullable().optional(),
});
export type WebhookEndpointInput = z.input<typeof webhookEndpointInput>;

/** What an endpoint follows: components by id, and areas by id (so it follows their future components too). */
function followed(db: Db, refs: string[]): { componentIds: string[]; groupIds: string[] } {
  const { found, unknown } = resolveRefs(componentCatalogue(db), refs, 'components', 'any');
  if (unknown.length > 0) throw unknownRefs(unknown);
  const componentIds = new Set<string>();
  const groupIds = new Set<string>();
  for (const { entry } of found) {
    if (entry.kind === 'component') componentIds.add(entry.component.id);
    else groupIds.add(entry.group.id);
  }
  return { componentIds: [...componentIds], groupIds: [...groupIds] };
}

/** Registers an endpoint. Returns the row, whose secret the caller shows once. */
export function createWebhookEndpoint(
  db: Db,
  raw: WebhookEndpointInput,
  { now, actor }: CommandContext,
  policy: TargetPolicy,
): WebhookEndpointRow {
  const input = parseInput(webhookEndpointInput, raw);
  const problem = webhookUrlProblem(input.url, policy);
  if (problem)
    throw new CommandError(422, 'validation_failed', `URL de webhook no admitida: ${problem}`, [
      { path: 'url', message: problem },
    ]);
  const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
  return runCommand(db, () => {
    const follows = input.components ? followed(db, input.components) : null;
    const row = db
      .insert(webhookEndpoints)
      .values({
        id: newId(),
        url: input.url,
        secret,
        description: input.description ?? null,
        componentIds: follows?.componentIds ?? null,
        groupIds: follows?.groupIds ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    recordAudit(db, actor, 'webhook.create', { type: 'webhook', id: row.id }, now, { url: row.url, ...follows });
    return row;
  });
}

/** Removes an endpoint; its pending deliveries are closed as failed in the same transaction. */
export function deleteWebhookEndpoint(db: Db, id: string, { now, actor }: CommandContext): void {
  runCommand(db, () => {
    const row = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
    if (!row) throw notFound('el webhook', id);
    db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).run();
    db.update(outboxMessages)
      .set({ status: 'failed', lastError: 'El webhook fue eliminado.' })
      .where(
        and(
          eq(outboxMessages.channel, WEBHOOK_CHANNEL),
          eq(outboxMessages.recipient, id),
          eq(outboxMessages.status, 'pending'),
        ),
      )
      .run();
    recordAudit(db, actor, 'webhook.delete', { type: 'webhook', id }, now, { url: row.url });
  });
}

/** Re-enables a disabled endpoint (after the subscriber fixed their receiver). */
export function enableWebhookEndpoint(db: Db, id: string, { now, actor }: CommandContext): WebhookEndpointRow {
  return runCommand(db, () => {
    const row = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
    if (!row) throw notFound('el webhook', id);
    recordAudit(db, actor, 'webhook.enable', { type: 'webhook', id }, now);
    return db
      .update(webhookEndpoints)
      .set({ disabledAt: null, disabledReason: null, consecutiveFailures: 0, failingSince: null, updatedAt: now })
      .where(eq(webhookEndpoints.id, id))
      .returning()
      .get();
  });
}

export interface DisablePolicy {
  /** Failed attempts in a row before disabling. */
  maxConsecutiveFailures: number;
  /** …and only once the endpoint has been failing for this long, so a short outage is forgiven. */
  minFailingMs: number;
}

export const defaultDisablePolicy: DisablePolicy = { maxConsecutiveFailures: 10, minFailingMs: 60 * 60_000 };

/**
 * Records one delivery attempt's outcome on the endpoint and disables it after repeated
 * failure. Delivery bookkeeping, not content: written in its own small transaction outside
 * runCommand so it does not drop the public page cache on every attempt. Returns whether the
 * endpoint is (now) disabled.
 */
export function recordWebhookAttempt(
  db: Db,
  id: string,
  outcome: { ok: true } | { ok: false; error: string },
  at: Date,
  policy: DisablePolicy = defaultDisablePolicy,
): { disabled: boolean } {
  return writeTransaction(db, () => {
    const row = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
    if (!row) return { disabled: true };
    if (outcome.ok) {
      db.update(webhookEndpoints)
        .set({ consecutiveFailures: 0, failingSince: null, lastAttemptAt: at, lastSuccessAt: at })
        .where(eq(webhookEndpoints.id, id))
        .run();
      return { disabled: row.disabledAt !== null };
    }
    const failures = row.consecutiveFailures + 1;
    const failingSince = row.failingSince ?? at;
    const disable =
      row.disabledAt === null &&
      failures >= policy.maxConsecutiveFailures &&
      at.getTime() - failingSince.getTime() >= policy.minFailingMs;
    db.update(webhookEndpoints)
      .set({
        consecutiveFailures: failures,
        failingSince,
        lastAttemptAt: at,
        lastFailureAt: at,
        lastError: outcome.error,
        ...(disable
          ? {
              disabledAt: at,
              disabledReason: `${failures} intentos fallidos seguidos; último error: ${outcome.error}`,
              updatedAt: at,
            }
          : {}),
      })
      .where(eq(webhookEndpoints.id, id))
      .run();
    if (disable) {
      recordAudit(db, systemActor, 'webhook.disable', { type: 'webhook', id }, at, {
        failures,
        lastError: outcome.error,
      });
      // The rest of its queue would fail the same way; close it now so the NOC sees one clear state.
      db.update(outboxMessages)
        .set({ status: 'failed', lastError: 'Webhook desactivado por fallos repetidos.' })
        .where(
          and(
            eq(outboxMessages.channel, WEBHOOK_CHANNEL),
            eq(outboxMessages.recipient, id),
            eq(outboxMessages.status, 'pending'),
          ),
        )
        .run();
    }
    return { disabled: disable || row.disabledAt !== null };
  });
}
