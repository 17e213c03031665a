// Every webhook as received (raw body), so a surprising payload can be read later. Alertmanager
// and Grafana resend a whole group every group_interval: an identical body only counts again.
import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../../client.ts';
import { senderName } from '../../domain/alerts.ts';
import { alertDeliveries, alertDeliveryBodies } from '../../schema/index.ts';
import { noteChange, type Actor } from '../audit.ts';
import { ownerLive } from '../lease.ts';
import { alertCount } from './envelopes.ts';
import { rawDigest } from './groups.ts';
import type { Delivery, IntakeContext } from './intake.ts';

/** Deliveries (raw bodies) are kept this long. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60_000;

/** The monitoring system as the audit names it: what it did to an alert, it did as its sender. */
export function alertActor(sender: { source: string; receiver: string | null }): Actor {
  return { kind: 'alert', name: senderName(sender) };
}

/** What a delivery applied in slices has done so far (alert_deliveries.progress). */
export interface DeliveryProgress {
  /** Components an alert fired or worsened on, and every component an alert touched. */
  fired: string[];
  touched: string[];
  /** By change, as recorded at the end (`{"fired":2,"resent":1}`). */
  outcome: Record<string, number>;
}

export const emptyProgress = (): DeliveryProgress => ({ fired: [], touched: [], outcome: {} });

/** A sliced delivery stays its applier's while this is ahead; renewed at each slice. */
export const APPLIER_LEASE_MS = 60_000;

export interface RecordedDelivery {
  id: number;
  /** The same body came before and was applied: its alerts are looked at again, nothing new is counted. */
  duplicate: boolean;
  /** Alerts of the body already applied (a delivery left half-applied resumes here) and what they did. */
  cursor: number;
  /** Another live server instance is applying this very body: this request leaves it to that one. */
  appliedElsewhere: boolean;
  progress: DeliveryProgress;
}

/**
 * Records the delivery, or counts it again when the same body came before (`duplicate`). A large
 * one (`sliced`) is recorded 'applying', with this process as its applier: it is accepted as a
 * whole from here, and a body left half-applied (its applier died) is taken over where it stopped.
 */
export function recordDelivery(
  db: Db,
  delivery: Delivery,
  ctx: IntakeContext,
  options: { sliced?: boolean; applier?: string } = {},
): RecordedDelivery {
  const dedupKey = rawDigest(delivery.format, delivery.rawBody);
  // The delivery is the NOC's bookkeeping: a resend that changes no alert changes nothing public
  // (no cache flush, nothing to publish); what an alert changes in public is noted where it happens.
  noteChange(db, 'alert_delivery');
  const seen = db.select().from(alertDeliveries).where(eq(alertDeliveries.dedupKey, dedupKey)).get();
  db.delete(alertDeliveries)
    .where(
      and(
        lt(alertDeliveries.lastReceivedAt, new Date(ctx.now.getTime() - DELIVERY_RETENTION_MS)),
        eq(alertDeliveries.state, 'applied'),
      ),
    )
    .run();
  const applier = options.sliced
    ? { applier: options.applier ?? null, applierUntil: new Date(ctx.now.getTime() + APPLIER_LEASE_MS) }
    : {};
  if (seen) {
    const applying = seen.state === 'applying';
    if (
      applying &&
      seen.applier !== (options.applier ?? null) &&
      ownerLive(seen.applier, seen.applierUntil, ctx.now.getTime())
    )
      return { id: seen.id, duplicate: true, cursor: seen.cursor, progress: emptyProgress(), appliedElsewhere: true };
    db.update(alertDeliveries)
      .set({ lastReceivedAt: ctx.now, timesReceived: seen.timesReceived + 1, ...(applying ? applier : {}) })
      .where(eq(alertDeliveries.id, seen.id))
      .run();
    if (applying)
      return {
        id: seen.id,
        duplicate: false,
        cursor: seen.cursor,
        progress: JSON.parse(seen.progress) as DeliveryProgress,
        appliedElsewhere: false,
      };
    return { id: seen.id, duplicate: true, cursor: 0, progress: emptyProgress(), appliedElsewhere: false };
  }
  const row = db
    .insert(alertDeliveries)
    .values({
      format: delivery.format,
      sender: senderName(delivery),
      dedupKey,
      alertCount: alertCount(delivery.alerts),
      outcome: '{}',
      tokenName: ctx.tokenName ?? null,
      receivedAt: ctx.now,
      lastReceivedAt: ctx.now,
      ...(options.sliced ? { state: 'applying' as const, ...applier } : {}),
    })
    .returning({ id: alertDeliveries.id })
    .get();
  const { gzipBody } = delivery;
  db.insert(alertDeliveryBodies)
    .values(
      gzipBody
        ? { deliveryId: row.id, body: '', gzip: Buffer.from(gzipBody.buffer, gzipBody.byteOffset, gzipBody.byteLength) }
        : { deliveryId: row.id, body: delivery.rawBody },
    )
    .run();
  return { id: row.id, duplicate: false, cursor: 0, progress: emptyProgress(), appliedElsewhere: false };
}

/** A slice of a large delivery is applied: where it stands, and that its applier is still at it. */
export function recordSlice(db: Db, deliveryId: number, cursor: number, progress: DeliveryProgress, now: Date): void {
  db.update(alertDeliveries)
    .set({ cursor, progress: JSON.stringify(progress), applierUntil: new Date(now.getTime() + APPLIER_LEASE_MS) })
    .where(eq(alertDeliveries.id, deliveryId))
    .run();
}

/** What processing did, by change (`{"fired":2,"resent":1}`), once the delivery's alerts are applied. */
export function recordOutcome(db: Db, deliveryId: number, outcome: Record<string, number>): void {
  db.update(alertDeliveries)
    .set({ outcome: JSON.stringify(outcome), state: 'applied', progress: '{}', applier: null, applierUntil: null })
    .where(eq(alertDeliveries.id, deliveryId))
    .run();
}

/** Deliveries left half-applied whose applier is gone (died, or froze past its lease): the background resumes them. */
export function stalledDeliveries(db: Db, now: Date) {
  return db
    .select({
      id: alertDeliveries.id,
      format: alertDeliveries.format,
      tokenName: alertDeliveries.tokenName,
      applier: alertDeliveries.applier,
      applierUntil: alertDeliveries.applierUntil,
      body: alertDeliveryBodies.body,
      gzip: alertDeliveryBodies.gzip,
    })
    .from(alertDeliveries)
    .innerJoin(alertDeliveryBodies, eq(alertDeliveryBodies.deliveryId, alertDeliveries.id))
    .where(eq(alertDeliveries.state, 'applying'))
    .orderBy(alertDeliveries.id)
    .all()
    .filter((d) => !ownerLive(d.applier, d.applierUntil, now.getTime()));
}
