// Component status moved by alerts. Used by ./receive.ts after each delivery and by ./settle.ts
// when the clock makes something due.
import { desc, eq } from 'drizzle-orm';
import type { Db } from '../../client.ts';
import { statusRank, type FaultStatus } from '../../domain/rollup.ts';
import type { ComponentStatus } from '../../enums.ts';
import { automaticAlertHolds } from '../../queries/alerts.ts';
import { componentTimeline } from '../../queries/availability.ts';
import { openIncidentHolding, windowHolding, type ComponentHolder } from '../../queries/holders.ts';
import { components, componentStatusEvents } from '../../schema/index.ts';
import { setComponentStatus } from '../catalog.ts';
import { contribution } from './episodes.ts';

type Target = { status: FaultStatus; alertId: string; startsAt: Date };

/** Component id → the worst status its holding alerts impose, and the alert that imposes it. */
function alertTargets(db: Db): Map<string, Target> {
  const targets = new Map<string, Target>();
  for (const row of automaticAlertHolds(db)) {
    for (const [componentId, status] of contribution(row)) {
      const current = targets.get(componentId);
      if (!current || statusRank(status) > statusRank(current.status))
        targets.set(componentId, { status, alertId: row.id, startsAt: row.startsAt });
    }
  }
  return targets;
}

function lastStatusEvent(db: Db, componentId: string) {
  return db
    .select()
    .from(componentStatusEvents)
    .where(eq(componentStatusEvents.componentId, componentId))
    .orderBy(desc(componentStatusEvents.at), desc(componentStatusEvents.id))
    .get();
}

/**
 * One component at a time:
 * - an alert that fires (or worsens) sets the worst firing alert's status, unless a person or an
 *   incident already shows something worse, or a maintenance in progress holds the component;
 * - a component whose status an alert set follows its alerts down again, and returns to
 *   operational when the last resolves — unless an open incident, a later manual change (the
 *   last event is then not an alert's) or a maintenance holds it.
 * Idempotent: it compares the desired status with the stored one and writes only a difference.
 */
export class StatusReconciler {
  private readonly db: Db;
  private readonly now: Date;
  private readonly holders: ReadonlyMap<string, readonly ComponentHolder[]>;
  private targets: Map<string, Target> | undefined;
  readonly changed: Array<{ componentId: string; from: ComponentStatus; to: ComponentStatus }> = [];

  constructor(db: Db, now: Date, holders: ReadonlyMap<string, readonly ComponentHolder[]>) {
    this.db = db;
    this.now = now;
    this.holders = holders;
  }

  private target(componentId: string) {
    this.targets ??= alertTargets(this.db);
    return this.targets.get(componentId);
  }

  private underMaintenance(componentId: string): boolean {
    return windowHolding(this.holders, componentId) !== undefined;
  }

  /**
   * When a change the alerts make took effect: a fault from the sender's `startsAt` (Alertmanager
   * may deliver minutes after the fault began), a return from when the alert that held it ended;
   * never before the component's current status began (an alert does not rewrite what another
   * statement said) and never after now.
   */
  private effectiveAt(componentId: string, to: ComponentStatus, from: ComponentStatus): Date {
    const since = componentTimeline(this.db, componentId, this.now).at(-1)?.at.getTime() ?? 0;
    const target = this.target(componentId);
    const stated =
      target && to === target.status && statusRank(to) > statusRank(from)
        ? target.startsAt.getTime()
        : this.lastAlertEnd(componentId);
    const at = Math.min(Math.max(stated ?? this.now.getTime(), since), this.now.getTime());
    return new Date(at);
  }

  /** When the latest alert on this component that has resolved said it ended. */
  private lastAlertEnd(componentId: string): number | null {
    return this.db.$client
      .prepare(
        `SELECT max(coalesce(ends_at, resolved_at)) FROM alerts
          WHERE status = 'resolved' AND EXISTS (SELECT 1 FROM json_each(alerts.component_ids) WHERE value = ?)`,
      )
      .pluck()
      .get(componentId) as number | null;
  }

  private set(component: { id: string; status: ComponentStatus }, to: ComponentStatus, alertId: string | null) {
    const effectiveAt = this.effectiveAt(component.id, to, component.status);
    setComponentStatus(this.db, component, to, this.now, { kind: 'alert', id: alertId }, effectiveAt);
    this.changed.push({ componentId: component.id, from: component.status, to });
  }

  /** An alert fired, fired again or got worse on this component. */
  fire(componentId: string): void {
    const target = this.target(componentId);
    if (!target || this.underMaintenance(componentId)) return;
    const component = this.db.select().from(components).where(eq(components.id, componentId)).get();
    if (!component || component.status === target.status) return;
    const owner = lastStatusEvent(this.db, componentId)?.causeKind;
    if (
      owner === 'alert' ||
      component.status === 'operational' ||
      statusRank(target.status) > statusRank(component.status)
    )
      this.set(component, target.status, target.alertId);
  }

  /**
   * What following its alerts would do to this component (read only): the status to set, or
   * null when it already matches, a person or incident set it last, or something holds it.
   */
  followPlan(
    componentId: string,
  ): { component: { id: string; status: ComponentStatus }; desired: ComponentStatus; alertId: string | null } | null {
    const component = this.db
      .select({ id: components.id, status: components.status })
      .from(components)
      .where(eq(components.id, componentId))
      .get();
    if (!component) return null;
    const target = this.target(componentId);
    const desired: ComponentStatus = target?.status ?? 'operational';
    if (component.status === desired) return null;
    if (lastStatusEvent(this.db, componentId)?.causeKind !== 'alert') return null;
    if (this.underMaintenance(componentId)) return null;
    if (!target && openIncidentHolding(this.holders, [componentId])) return null;
    return { component, desired, alertId: target?.alertId ?? null };
  }

  /** After any change to this component's alerts: follow them if alerts set its status. */
  follow(componentId: string): void {
    const plan = this.followPlan(componentId);
    if (plan) this.set(plan.component, plan.desired, plan.alertId);
  }

  /** Components an alert set that would follow their alerts now (the settler's catch-up). */
  drifted(): string[] {
    this.targets ??= alertTargets(this.db);
    const targets = this.targets;
    return this.db
      .select({ id: components.id, status: components.status })
      .from(components)
      .all()
      .filter((c) => c.status !== (targets.get(c.id)?.status ?? 'operational'))
      .filter((c) => this.followPlan(c.id) !== null)
      .map((c) => c.id);
  }
}
