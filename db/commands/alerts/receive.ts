// Alert intake, step 3: a delivery applied. Each alert is evaluated by the rules (./evaluate.ts),
// its episode moves as the domain's transition says (db/domain/alerts.ts `alertTransition`), a
// firing alert is linked to an incident or a draft (./drafts.ts), and component status follows
// once every alert is applied (./reconciler.ts); the delivery is recorded (./deliveries.ts).
//
// The cost follows what changed. An unchanged resend of a group (Alertmanager sends the whole
// group every group_interval) is one comparison and writes nothing (./groups.ts). Alerts are read
// and written in batches (one query for the latest episodes of a slice, one insert for its new
// ones, one update for those only received again, one draft update per draft). A delivery of up
// to ALERT_SLICE alerts is one transaction; a larger one, already validated whole and recorded as
// accepted, is applied in slices of ALERT_SLICE alerts, each its own transaction, with the event
// loop free between them to answer requests. Components change status only in the last one, so
// the public sees the delivery whole; a server that dies half-way leaves the delivery 'applying'
// with its cursor, and the holder of the background lease resumes it from the stored body.
import { createHash } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import type { Db } from '../../client.ts';
import { alertAuditAction, alertTransition, holdDownMs, type AlertChange } from '../../domain/alerts.ts';
import { statusRank, type FaultStatus } from '../../domain/rollup.ts';
import type { AlertEffect, AlertStatus } from '../../enums.ts';
import { newId } from '../../ids.ts';
import { alertRuleDocument, type AlertRow } from '../../queries/alerts.ts';
import { componentCatalogue, type Catalogue } from '../../queries/catalog.ts';
import { componentHolders, type ComponentHolder } from '../../queries/holders.ts';
import { alerts } from '../../schema/index.ts';
import { noteChange, recordAudits, type Actor } from '../audit.ts';
import { bulkInsert } from '../bulkInsert.ts';
import { runCommand, writeMark } from '../transaction.ts';
import {
  alertActor,
  recordDelivery,
  recordOutcome,
  recordSlice,
  type DeliveryProgress,
  type RecordedDelivery,
} from './deliveries.ts';
import { DraftLinker, type PendingAudit } from './drafts.ts';
import { contribution, episodeOf, ids, json, type NoticeColumns } from './episodes.ts';
import { evaluateAlert } from './evaluate.ts';
import {
  evaluationStamp,
  groupKeyOf,
  latestEpisodes,
  latestResults,
  noticeDigest,
  rawDigest,
  refreshSeen,
  rememberGroup,
  storedGroup,
} from './groups.ts';
import { alertCount, uniqueOf, type IncomingAlert } from './envelopes.ts';
import type { Delivery, IntakeContext } from './intake.ts';
import { WorkerCheckpoints } from './offload.ts';
import { applyStatusPlan, StatusReconciler, type PlannedStatus } from './reconciler.ts';

export type { AlertChange };

/** A delivery of more alerts than this is applied in slices (each its own transaction). */
export const ALERT_SLICE = 250;
/**
 * How long one slice may hold the event loop, in CPU time: its size follows how fast the last one
 * went, so a request waits about this long between two (more when other processes take the CPU).
 * About 0.07 ms an alert plus 2 ms a transaction: a 5,000-alert group is some 50 slices.
 */
const SLICE_BUDGET_MS = 10;
/** The first slice, before any has been timed (it also pays for the code's first runs). */
const FIRST_SLICE = 50;
const MIN_SLICE = 25;

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

type ResultAlert = IntakeResult['alerts'][number];

const resultOf = (
  row: Pick<AlertRow, 'id' | 'fingerprint' | 'status' | 'effect' | 'componentIds' | 'note' | 'draftId' | 'incidentId'>,
  change: AlertChange,
): ResultAlert => ({
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

/** What the evaluation of every alert of a delivery reads, read once. */
interface Rules {
  rules: ReturnType<typeof alertRuleDocument>;
  holdMs: number;
  catalogue: Catalogue;
  holders: Map<string, ComponentHolder[]>;
  stamp: string;
}

function readRules(db: Db): Rules {
  const rules = alertRuleDocument(db);
  const catalogue = componentCatalogue(db);
  const holders = componentHolders(db);
  return { rules, holdMs: holdDownMs(rules), catalogue, holders, stamp: evaluationStamp(rules, catalogue, holders) };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What a delivery did so far, kept in memory while it is applied. */
class Applied {
  readonly fired: Set<string>;
  readonly touched: Set<string>;
  readonly outcome: Record<string, number>;
  readonly alerts: ResultAlert[] = [];
  constructor(progress: DeliveryProgress) {
    this.fired = new Set(progress.fired);
    this.touched = new Set(progress.touched);
    this.outcome = { ...progress.outcome };
  }
  progress(): DeliveryProgress {
    return { fired: [...this.fired], touched: [...this.touched], outcome: this.outcome };
  }
}

/** The columns of an alert row nobody sets on insert, as the table's defaults give them. */
const insertDefaults = { draftId: null, incidentId: null } satisfies Partial<AlertRow>;

/**
 * Applies some alerts of a delivery inside the running transaction: their latest episodes read
 * in one query, every transition decided in memory, then written in batches.
 */
function applyAlerts(
  db: Db,
  delivery: Delivery,
  batch: readonly IncomingAlert[],
  deliveryId: number,
  rules: Rules,
  applied: Applied,
  linker: DraftLinker,
  actor: Actor,
  now: Date,
): void {
  const { catalogue, holders, holdMs } = rules;
  const latest = latestEpisodes(
    db,
    delivery.source,
    batch.map((a) => a.fingerprint),
  );
  const inserts: AlertRow[] = [];
  const updates = new Map<string, Partial<AlertRow>>();
  const touches: string[] = [];
  const audits: PendingAudit[] = [];

  for (const incoming of batch) {
    const judged = evaluateAlert(incoming, rules.rules, catalogue, holders);
    const { evaluation } = judged;
    const prev = latest.get(incoming.fingerprint);
    const transition = alertTransition(prev && episodeOf(prev), incoming, evaluation, holdMs, now);
    const { change } = transition;
    const notice: NoticeColumns = {
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
    };
    const { deliveryId: _delivery, ...said } = notice;
    const digest = sha256(JSON.stringify(said));

    let row: AlertRow;
    let pending: Partial<AlertRow> | 'touch' | 'insert';
    if (transition.write === 'insert') {
      row = {
        id: newId(),
        format: delivery.format,
        source: delivery.source,
        fingerprint: incoming.fingerprint,
        ...insertDefaults,
        ...transition.episode,
        ...notice,
        noticeDigest: digest,
      };
      pending = 'insert';
    } else if (transition.write === 'touch' || (change === 'resent' && prev!.noticeDigest === digest)) {
      // The same notice again: only the time it was last received moves.
      row = { ...prev!, lastReceivedAt: now };
      pending = 'touch';
    } else {
      const set = { ...notice, noticeDigest: digest, ...transition.set };
      row = { ...prev!, ...set };
      pending = set;
    }

    const before = prev ? contribution(prev) : new Map<string, FaultStatus>();
    const after = contribution(row);
    for (const [id, status] of after)
      if (before.get(id) !== status && statusRank(status) > statusRank(before.get(id) ?? 'operational'))
        applied.fired.add(id);
    for (const id of new Set([...before.keys(), ...after.keys()])) applied.touched.add(id);
    if (row.status === 'firing' && (change === 'fired' || change === 'refired' || change === 'reevaluated')) {
      const link = linker.link(row);
      audits.push(...linker.audits.splice(0));
      if (link) {
        row = { ...row, ...link };
        if (pending === 'touch') pending = { lastReceivedAt: now, ...link };
        else if (pending !== 'insert') pending = { ...pending, ...link };
      }
    }
    if (pending === 'insert') inserts.push(row);
    else if (pending === 'touch') touches.push(row.id);
    else updates.set(row.id, pending);

    const action = alertAuditAction[change];
    if (action)
      audits.push({
        actor,
        action,
        subject: { type: 'alert', id: row.id },
        at: now,
        details: {
          fingerprint: row.fingerprint,
          status: row.status,
          effect: row.effect,
          components: ids(row.componentIds),
          deliveryId,
          ...(row.flapping ? { flapCount: row.flapCount } : {}),
        },
      });
    applied.outcome[change] = (applied.outcome[change] ?? 0) + 1;
    applied.alerts.push(resultOf(row, change));
  }

  // The drafts first (a new draft is already written: the rows below reference it).
  linker.flush();
  bulkInsert(db, alerts, inserts);
  for (const [id, set] of updates)
    db.update(alerts)
      .set(set)
      .where(inArray(alerts.id, [id]))
      .run();
  for (let i = 0; i < touches.length; i += 500)
    db.update(alerts)
      .set({ lastReceivedAt: now })
      .where(inArray(alerts.id, touches.slice(i, i + 500)))
      .run();
  recordAudits(db, audits);
}

/** The component changes a delivery's end calls for, decided before its transaction, and the writes they assume. */
interface FinishPlan {
  mark: string;
  changes: PlannedStatus[];
}

/**
 * The reads of a large delivery's end, in a turn of their own (the holding alerts of the whole
 * table, each touched component's events): its last transaction then only writes. Null when the
 * reconciler cannot plan it (a component changed twice) or something was written meanwhile.
 */
function planFinish(db: Db, rules: Rules, applied: Applied, now: Date): FinishPlan | null {
  const mark = writeMark(db);
  const planner = new StatusReconciler(db, now, rules.holders, { plan: true });
  for (const id of applied.fired) planner.fire(id);
  for (const id of applied.touched) planner.follow(id);
  if (planner.unplannable || writeMark(db) !== mark) return null;
  return { mark, changes: planner.planned };
}

/**
 * The end of a delivery: component status follows its alerts, the outcome is recorded, the group
 * remembered. With a plan made in an earlier turn and nothing written since, its changes are
 * written as planned (the same ones: the reconciler reads only what was not written meanwhile);
 * otherwise the reconciler decides here.
 */
function finishDelivery(
  db: Db,
  delivery: Delivery,
  recorded: RecordedDelivery,
  rules: Rules,
  applied: Applied,
  now: Date,
  plan: FinishPlan | null = null,
): void {
  if (plan && writeMark(db) === plan.mark) applyStatusPlan(db, now, plan.changes);
  else {
    const reconciler = new StatusReconciler(db, now, rules.holders);
    for (const id of applied.fired) reconciler.fire(id);
    for (const id of applied.touched) reconciler.follow(id);
  }
  if (!recorded.duplicate) recordOutcome(db, recorded.id, applied.outcome);
  const key = groupKeyOf(delivery.format, delivery.receiver, delivery.groupKey);
  if (key)
    rememberGroup(
      db,
      {
        key,
        digest: noticeDigest(delivery),
        rawDigest: rawDigest(delivery.format, delivery.rawBody),
        stamp: rules.stamp,
        deliveryId: recorded.id,
      },
      now,
    );
}

/** One delivery applied in one transaction (a small one, or the generic shape's single alert). */
export function receive(db: Db, delivery: Delivery, ctx: IntakeContext): IntakeResult {
  const { now } = ctx;
  const actor = alertActor(delivery);
  return runCommand(db, () => {
    const rules = readRules(db);
    const recorded = recordDelivery(db, delivery, ctx);
    const applied = new Applied(recorded.progress);
    const all = uniqueOf(delivery.alerts);
    const linker = new DraftLinker(db, rules.catalogue, rules.holders, actor, now);
    applyAlerts(db, delivery, all.slice(recorded.cursor), recorded.id, rules, applied, linker, actor, now);
    finishDelivery(db, delivery, recorded, rules, applied, now);
    return { deliveryId: recorded.id, duplicate: recorded.duplicate, alerts: applied.alerts };
  });
}

/**
 * An unchanged resend of a group already applied, under the same rules, catalogue and holders:
 * its alerts as they stand, each 'resent', and nothing written (or, every few minutes, only the
 * time they were last received). Null when anything differs: the delivery is applied.
 */
export function unchangedResend(
  db: Db,
  delivery: Pick<Delivery, 'format' | 'source' | 'receiver' | 'groupKey' | 'rawBody'> & {
    alerts?: Delivery['alerts'];
    noticeDigest?: string;
    fingerprints: readonly string[];
  },
  now: Date,
): IntakeResult | null {
  const key = groupKeyOf(delivery.format, delivery.receiver, delivery.groupKey);
  if (!key) return null;
  const group = storedGroup(db, key);
  if (!group) return null;
  const same = delivery.alerts
    ? group.digest === noticeDigest({ ...delivery, alerts: delivery.alerts })
    : group.rawDigest === rawDigest(delivery.format, delivery.rawBody);
  if (!same || readRules(db).stamp !== group.stamp) return null;
  const fingerprints = [...new Set(delivery.fingerprints)];
  const latest = latestResults(db, delivery.source, fingerprints);
  const rows = fingerprints.map((f) => latest.get(f));
  if (rows.some((r) => r === undefined)) return null;
  refreshSeen(
    db,
    group,
    rows.map((r) => r!.id),
    now,
  );
  return { deliveryId: group.deliveryId, duplicate: true, alerts: rows.map((r) => resultOf(r!, 'resent')) };
}

/** Large deliveries of one process are applied one after the other (their slices never interleave). */
const sliceQueues = new WeakMap<Db, Promise<unknown>>();

const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A delivery validated whole, applied: in one transaction when it is small; otherwise recorded
 * as accepted ('applying') and applied ALERT_SLICE alerts per transaction, the event loop free in
 * between. `applier` names the server instance (it resumes nothing another live one applies).
 * `resent`, asked when the delivery's turn comes, answers instead when the same group was applied
 * meanwhile (Alertmanager resending while the first copy is still being applied).
 */
export async function receiveInSlices(
  db: Db,
  delivery: Delivery,
  ctx: IntakeContext & { applier?: string },
  resent: () => IntakeResult | null = () => null,
): Promise<IntakeResult> {
  if (alertCount(delivery.alerts) <= ALERT_SLICE) return receive(db, delivery, ctx);
  const apply = () => resent() ?? applySliced(db, delivery, ctx);
  const turn = (sliceQueues.get(db) ?? Promise.resolve()).then(apply, apply);
  sliceQueues.set(
    db,
    turn.catch(() => undefined),
  );
  return turn;
}

async function applySliced(db: Db, delivery: Delivery, ctx: IntakeContext & { applier?: string }) {
  // The WAL is copied into the file by the intake worker while this delivery is applied.
  const checkpoints = new WorkerCheckpoints(db.$client);
  try {
    return await applySlices(db, delivery, ctx, checkpoints);
  } finally {
    checkpoints.end();
  }
}

async function applySlices(
  db: Db,
  delivery: Delivery,
  ctx: IntakeContext & { applier?: string },
  checkpoints: WorkerCheckpoints,
): Promise<IntakeResult> {
  const actor = alertActor(delivery);
  const all = uniqueOf(delivery.alerts);
  const recorded = runCommand(db, () => recordDelivery(db, delivery, ctx, { sliced: true, applier: ctx.applier }));
  if (recorded.appliedElsewhere) return { deliveryId: recorded.id, duplicate: true, alerts: [] };
  // Accepted (the body is stored): what the evaluation reads is read on the next turn.
  await yieldToRequests();
  const rules = readRules(db);
  const applied = new Applied(recorded.progress);
  // One linker for the whole delivery: what each draft's alerts measured is read once.
  const linker = new DraftLinker(db, rules.catalogue, rules.holders, actor, ctx.now);
  let cursor = recorded.cursor;
  let size = FIRST_SLICE;
  while (cursor < all.length) {
    await yieldToRequests();
    const now = new Date(Math.max(ctx.now.getTime(), Date.now()));
    const next = Math.min(all.length, cursor + size);
    const cpu = process.threadCpuUsage();
    runCommand(db, () => {
      // The delivery's bookkeeping: a slice that changes no alert in public flushes no page.
      noteChange(db, 'alert_delivery');
      applyAlerts(db, delivery, all.slice(cursor, next), recorded.id, rules, applied, linker, actor, ctx.now);
      if (!recorded.duplicate) recordSlice(db, recorded.id, next, applied.progress(), now);
    });
    checkpoints.afterSlice();
    // Sized by the CPU it took, not the wall time: on a machine shared with other processes the
    // wall time counts the moments the process was not running, and slices shrunk by it only
    // multiplied their fixed cost (the transaction, the recorded cursor) without freeing the loop.
    // This thread's CPU alone: the intake worker reading another group meanwhile is not this slice's.
    const { user, system } = process.threadCpuUsage(cpu);
    const took = Math.max(1, (user + system) / 1000);
    size = Math.max(MIN_SLICE, Math.min(ALERT_SLICE, Math.round(((next - cursor) * SLICE_BUDGET_MS) / took)));
    cursor = next;
  }
  // The end's reads in one turn, its writes (what the public sees change) in the next.
  await yieldToRequests();
  const plan = planFinish(db, rules, applied, ctx.now);
  await yieldToRequests();
  runCommand(db, () => finishDelivery(db, delivery, recorded, rules, applied, ctx.now, plan));
  return { deliveryId: recorded.id, duplicate: recorded.duplicate, alerts: applied.alerts };
}
