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

/** A status change a planning reconciler decided (`{ plan: true }`), written later by `applyStatusPlan`. */
export interface PlannedStatus {
  component: { id: string; status: ComponentStatus };
  to: ComponentStatus;
  alertId: string | null;
  effectiveAt: Date;
}

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
  /** Planning only: nothing is written, each change is kept here, and later reads see it as written. */
  private readonly planning: boolean;
  readonly planned: PlannedStatus[] = [];
  /**
   * A plan that would have to read one of its own changes (a component changed twice): the
   * caller decides inside its transaction instead.
   */
  unplannable = false;

  constructor(
    db: Db,
    now: Date,
    holders: ReadonlyMap<string, readonly ComponentHolder[]>,
    options: { plan?: boolean } = {},
  ) {
    this.db = db;
    this.now = now;
    this.holders = holders;
    this.planning = options.plan ?? false;
  }

  private plannedFor(componentId: string): PlannedStatus | undefined {
    return this.planning ? this.planned.find((p) => p.component.id === componentId) : undefined;
  }

  /** The component's status as stored (or as a planned change leaves it). */
  private statusOf(componentId: string): { id: string; status: ComponentStatus } | undefined {
    const planned = this.plannedFor(componentId);
    if (planned) return { id: componentId, status: planned.to };
    return this.db
      .select({ id: components.id, status: components.status })
      .from(components)
      .where(eq(components.id, componentId))
      .get();
  }

  /** Who set the component's status last: a planned change is an alert's. */
  private lastCause(componentId: string) {
    return this.plannedFor(componentId) ? 'alert' : lastStatusEvent(this.db, componentId)?.causeKind;
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
    if (this.planning && this.plannedFor(component.id)) this.unplannable = true;
    const effectiveAt = this.effectiveAt(component.id, to, component.status);
    if (this.planning) this.planned.push({ component: { ...component }, to, alertId, effectiveAt });
    else setComponentStatus(this.db, component, to, this.now, { kind: 'alert', id: alertId }, effectiveAt);
    this.changed.push({ componentId: component.id, from: component.status, to });
  }

  /** An alert fired, fired again or got worse on this component. */
  fire(componentId: string): void {
    const target = this.target(componentId);
    if (!target || this.underMaintenance(componentId)) return;
    const component = this.statusOf(componentId);
    if (!component || component.status === target.status) return;
    const owner = this.lastCause(componentId);
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
    const component = this.statusOf(componentId);
    if (!component) return null;
    const target = this.target(componentId);
    const desired: ComponentStatus = target?.status ?? 'operational';
    if (component.status === desired) return null;
    if (this.lastCause(componentId) !== 'alert') return null;
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

/** Writes the changes a planning reconciler decided, as it would have written them itself. */
export function applyStatusPlan(db: Db, now: Date, planned: readonly PlannedStatus[]): void {
  for (const { component, to, alertId, effectiveAt } of planned)
    setComponentStatus(db, component, to, now, { kind: 'alert', id: alertId }, effectiveAt);
}
