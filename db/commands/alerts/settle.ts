// Time: damping and maintenance ends are decided by the clock, not by a delivery. The clock
// worker (api/workers/clock.ts) calls settleAlerts when nextAlertSettleDue says.
import { eq } from 'drizzle-orm';
import type { Db } from '../../client.ts';
import { alertEffect, flapSettlesAt, holdDownMs } from '../../domain/alerts.ts';
import type { FaultStatus } from '../../domain/rollup.ts';
import { alertsWaitingOnClock, alertRuleDocument, type AlertRow } from '../../queries/alerts.ts';
import { componentCatalogue } from '../../queries/catalog.ts';
import { componentHolders, windowHolding, type ComponentHolder } from '../../queries/holders.ts';
import { alerts } from '../../schema/index.ts';
import { recordAudit } from '../audit.ts';
import { runCommand } from '../transaction.ts';
import { alertActor } from './deliveries.ts';
import { linkAlert } from './drafts.ts';
import { contribution, ids, json } from './episodes.ts';
import { StatusReconciler } from './reconciler.ts';

interface DueWork {
  /** Flapping alerts whose hold-down elapsed (firing steadily, or resolved for good). */
  settled: AlertRow[];
  /** Alerts held by a maintenance that is no longer in progress for some of their components. */
  released: AlertRow[];
}

function dueWork(db: Db, now: Date, holdMs: number, holders: ReadonlyMap<string, readonly ComponentHolder[]>): DueWork {
  const active = alertsWaitingOnClock(db);
  return {
    settled: active.filter((r) => r.flapping && now.getTime() >= flapSettlesAt(r, holdMs).getTime()),
    released: active.filter(
      (r) => r.status === 'firing' && ids(r.suppressedIds).some((id) => !windowHolding(holders, id)),
    ),
  };
}

/**
 * Applies what the clock made due: a flapping alert that stayed resolved (or firing) for the
 * hold-down time settles, a maintenance that ended lets its alerts through (status and draft),
 * and a component an alert set follows its alerts again once nothing holds it. Nothing due
 * means no transaction (a commit would drop the page cache). Audited as the alerts' senders.
 */
export function settleAlerts(db: Db, now: Date): number {
  const holders = componentHolders(db);
  const quick = dueWork(db, now, holdDownMs(alertRuleDocument(db)), holders);
  if (
    quick.settled.length === 0 &&
    quick.released.length === 0 &&
    new StatusReconciler(db, now, holders).drifted().length === 0
  )
    return 0;
  return runCommand(db, () => {
    const held = componentHolders(db);
    const { settled, released } = dueWork(db, now, holdDownMs(alertRuleDocument(db)), held);
    const catalogue = componentCatalogue(db);
    const reconciler = new StatusReconciler(db, now, held);
    const fired = new Set<string>();
    let steps = 0;
    for (const r of settled) {
      const row = db.update(alerts).set({ flapping: false }).where(eq(alerts.id, r.id)).returning().get();
      if (row.status === 'firing') for (const id of contribution(row).keys()) fired.add(id);
      recordAudit(db, alertActor(r), 'alert.settle', { type: 'alert', id: r.id }, now, {
        status: r.status,
        flapCount: r.flapCount,
      });
      steps++;
    }
    for (const r of released) {
      if (settled.some((s) => s.id === r.id)) continue;
      const componentIds = ids(r.componentIds);
      const suppressed = ids(r.suppressedIds).filter((id) => windowHolding(held, id));
      const effect = alertEffect(
        { componentIds, status: r.proposedStatus as FaultStatus | null, mode: r.mode },
        suppressed.length,
      );
      let row = db
        .update(alerts)
        .set({ suppressedIds: json(suppressed), effect, note: suppressed.length ? r.note : null })
        .where(eq(alerts.id, r.id))
        .returning()
        .get();
      for (const id of contribution(row).keys()) fired.add(id);
      row = linkAlert(db, row, catalogue, held, alertActor(r), now);
      recordAudit(db, alertActor(r), 'alert.release', { type: 'alert', id: r.id }, now, {
        effect,
        components: componentIds,
      });
      steps++;
    }
    for (const id of fired) reconciler.fire(id);
    for (const id of reconciler.drifted()) reconciler.follow(id);
    return steps + reconciler.changed.length;
  });
}

/** The next instant at which `settleAlerts` has something to do by the clock alone, or null. */
export function nextAlertSettleDue(db: Db): Date | null {
  const holdMs = holdDownMs(alertRuleDocument(db));
  const flapping = db.select().from(alerts).where(eq(alerts.flapping, true)).all();
  let next = Infinity;
  for (const r of flapping) next = Math.min(next, flapSettlesAt(r, holdMs).getTime());
  return Number.isFinite(next) ? new Date(next) : null;
}
