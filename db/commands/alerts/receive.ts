// Alert intake, step 3: one delivery applied in one transaction. Each alert is evaluated by the
// rules (./evaluate.ts), its episode moves as the domain's transition says (db/domain/alerts.ts
// `alertTransition`), component status follows (./reconciler.ts) and a firing alert is linked to
// an incident or a draft (./drafts.ts); the delivery is recorded (./deliveries.ts).
import type { Db } from '../../client.ts';
import { alertAuditAction, alertTransition, holdDownMs, type AlertChange } from '../../domain/alerts.ts';
import { statusRank, type FaultStatus } from '../../domain/rollup.ts';
import type { AlertEffect, AlertStatus } from '../../enums.ts';
import { alertRuleDocument } from '../../queries/alerts.ts';
import { componentCatalogue } from '../../queries/catalog.ts';
import { componentHolders } from '../../queries/holders.ts';
import { recordAudit } from '../audit.ts';
import { runCommand } from '../transaction.ts';
import { alertActor, recordDelivery, recordOutcome } from './deliveries.ts';
import { linkAlert } from './drafts.ts';
import { contribution, episodeOf, ids, json, latestEpisode, writeEpisode } from './episodes.ts';
import { evaluateAlert } from './evaluate.ts';
import type { Delivery, IncomingAlert, IntakeContext } from './intake.ts';
import { StatusReconciler } from './reconciler.ts';

export type { AlertChange };

export interface IntakeResult {
  deliveryId: number;
  /** The same body was received before (a resend): nothing new was recorded unless its alerts changed. */
  duplicate: boolean;
  alerts: Array<{
    id: string;
    fingerprint: string;
    status: AlertStatus;
    change: AlertChange;
    effect: AlertEffect;
    componentIds: string[];
    note: string | null;
    draftId: string | null;
    incidentId: string | null;
  }>;
}

export function receive(db: Db, delivery: Delivery, ctx: IntakeContext): IntakeResult {
  const { now } = ctx;
  const actor = alertActor(delivery);
  return runCommand(db, () => {
    const rules = alertRuleDocument(db);
    const holdMs = holdDownMs(rules);
    const catalogue = componentCatalogue(db);
    const holders = componentHolders(db);
    const { id: deliveryId, duplicate } = recordDelivery(db, delivery, ctx);
    const reconciler = new StatusReconciler(db, now, holders);
    const fired = new Set<string>();
    const touched = new Set<string>();
    const result: IntakeResult['alerts'] = [];
    const outcome: Record<string, number> = {};

    // Two alerts of one payload with the same fingerprint: the last one is what the sender means.
    const unique = new Map<string, IncomingAlert>();
    for (const a of delivery.alerts) unique.set(a.fingerprint, a);

    for (const incoming of unique.values()) {
      const judged = evaluateAlert(incoming, rules, catalogue, holders);
      const { evaluation } = judged;
      const latest = latestEpisode(db, delivery.source, incoming.fingerprint);
      const transition = alertTransition(latest && episodeOf(latest), incoming, evaluation, holdMs, now);
      const { change } = transition;
      const before = latest ? contribution(latest) : new Map<string, FaultStatus>();
      let row = writeEpisode(
        db,
        transition,
        latest,
        { format: delivery.format, source: delivery.source, fingerprint: incoming.fingerprint },
        {
          severity: incoming.severity,
          summary: incoming.summary,
          description: incoming.description,
          labels: json(incoming.labels),
          annotations: json(incoming.annotations),
          url: incoming.url,
          receiver: delivery.receiver,
          deliveryId,
          ruleName: judged.ruleName,
          componentIds: json(evaluation.componentIds),
          unmatchedRefs: json(judged.unmatchedRefs),
          suppressedIds: json(evaluation.suppressedIds),
          mode: evaluation.mode,
          proposedStatus: evaluation.proposedStatus,
          effect: evaluation.effect,
          note: judged.note,
          templateId: judged.templateId,
        },
      );

      const after = contribution(row);
      for (const [id, status] of after)
        if (before.get(id) !== status && statusRank(status) > statusRank(before.get(id) ?? 'operational'))
          fired.add(id);
      for (const id of new Set([...before.keys(), ...after.keys()])) touched.add(id);
      if (row.status === 'firing' && (change === 'fired' || change === 'refired' || change === 'reevaluated'))
        row = linkAlert(db, row, catalogue, holders, actor, now);
      const action = alertAuditAction[change];
      if (action)
        recordAudit(db, actor, action, { type: 'alert', id: row.id }, now, {
          fingerprint: row.fingerprint,
          status: row.status,
          effect: row.effect,
          components: ids(row.componentIds),
          deliveryId,
          ...(row.flapping ? { flapCount: row.flapCount } : {}),
        });
      outcome[change] = (outcome[change] ?? 0) + 1;
      result.push({
        id: row.id,
        fingerprint: row.fingerprint,
        status: row.status,
        change,
        effect: row.effect,
        componentIds: ids(row.componentIds),
        note: row.note,
        draftId: row.draftId,
        incidentId: row.incidentId,
      });
    }

    for (const id of fired) reconciler.fire(id);
    for (const id of touched) reconciler.follow(id);
    if (!duplicate) recordOutcome(db, deliveryId, outcome);
    return { deliveryId, duplicate, alerts: result };
  });
}
