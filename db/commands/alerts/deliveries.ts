// Every webhook as received (raw body), so a surprising payload can be read later. Alertmanager
// and Grafana resend a whole group every group_interval: an identical body only counts again.
import { createHash } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import type { Db } from '../../client.ts';
import { senderName } from '../../domain/alerts.ts';
import { alertDeliveries } from '../../schema/index.ts';
import { noteChange, type Actor } from '../audit.ts';
import type { Delivery, IntakeContext } from './intake.ts';

/** Deliveries (raw bodies) are kept this long. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60_000;

/** The monitoring system as the audit names it: what it did to an alert, it did as its sender. */
export function alertActor(sender: { source: string; receiver: string | null }): Actor {
  return { kind: 'alert', name: senderName(sender) };
}

/** Records the delivery, or counts it again when the same body came before (`duplicate`). */
export function recordDelivery(db: Db, delivery: Delivery, ctx: IntakeContext): { id: number; duplicate: boolean } {
  const dedupKey = createHash('sha256').update(`${delivery.format}\n${delivery.rawBody}`).digest('hex');
  // The delivery is the NOC's bookkeeping: a resend that changes no alert changes nothing public
  // (no cache flush, nothing to publish); what an alert changes in public is noted where it happens.
  noteChange(db, 'alert_delivery');
  const seen = db.select().from(alertDeliveries).where(eq(alertDeliveries.dedupKey, dedupKey)).get();
  db.delete(alertDeliveries)
    .where(lt(alertDeliveries.lastReceivedAt, new Date(ctx.now.getTime() - DELIVERY_RETENTION_MS)))
    .run();
  if (seen) {
    db.update(alertDeliveries)
      .set({ lastReceivedAt: ctx.now, timesReceived: seen.timesReceived + 1 })
      .where(eq(alertDeliveries.id, seen.id))
      .run();
    return { id: seen.id, duplicate: true };
  }
  const row = db
    .insert(alertDeliveries)
    .values({
      format: delivery.format,
      sender: senderName(delivery),
      dedupKey,
      body: delivery.rawBody,
      alertCount: delivery.alerts.length,
      outcome: '{}',
      tokenName: ctx.tokenName ?? null,
      receivedAt: ctx.now,
      lastReceivedAt: ctx.now,
    })
    .returning({ id: alertDeliveries.id })
    .get();
  return { id: row.id, duplicate: false };
}

/** What processing did, by change (`{"fired":2,"resent":1}`), once the delivery's alerts are applied. */
export function recordOutcome(db: Db, deliveryId: number, outcome: Record<string, number>): void {
  db.update(alertDeliveries)
    .set({ outcome: JSON.stringify(outcome) })
    .where(eq(alertDeliveries.id, deliveryId))
    .run();
}
