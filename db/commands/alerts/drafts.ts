// Where a firing alert goes: the open incident of its components, an open draft of the same
// outage, or a new draft. A draft says what monitoring saw and nothing more (db/domain/alerts.ts
// `draftWords`); a person publishes it (db/commands/incidentDrafts.ts).
import { asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../../client.ts';
import {
  defaultDraftBody,
  draftIncidentStart,
  draftWords,
  DRAFT_JOIN_WINDOW_MS,
  placeName,
  type AlertWords,
} from '../../domain/alerts.ts';
import { impactForStatuses } from '../../domain/criticality.ts';
import { incidentTemplate } from '../../domain/incidentTemplates.ts';
import { worstStatus, type FaultStatus } from '../../domain/rollup.ts';
import type { ComponentStatus } from '../../enums.ts';
import { newId } from '../../ids.ts';
import type { AlertRow, DraftRow } from '../../queries/alerts.ts';
import type { Catalogue } from '../../queries/catalog.ts';
import { openIncidentHolding, type ComponentHolder } from '../../queries/holders.ts';
import { alerts, incidentDrafts } from '../../schema/index.ts';
import { recordAudit, type Actor } from '../audit.ts';
import { LIMITS } from '../input.ts';
import { ids, json, wordsOf } from './episodes.ts';

/** Links a firing alert to an open incident or a draft (new or joined); returns its row as linked. */
export function linkAlert(
  db: Db,
  row: AlertRow,
  catalogue: Catalogue,
  holders: ReadonlyMap<string, readonly ComponentHolder[]>,
  actor: Actor,
  now: Date,
): AlertRow {
  if (row.draftId || row.incidentId || !row.proposedStatus || (row.effect !== 'automatic' && row.effect !== 'proposed'))
    return row;
  const held = new Set(ids(row.suppressedIds));
  const live = ids(row.componentIds).filter((id) => !held.has(id));
  if (live.length === 0) return row;
  const incident = openIncidentHolding(holders, live);
  if (incident) {
    recordAudit(db, actor, 'alert.link', { type: 'alert', id: row.id }, now, { incidentId: incident.id });
    return db.update(alerts).set({ incidentId: incident.id }).where(eq(alerts.id, row.id)).returning().get();
  }
  const status = row.proposedStatus as FaultStatus;
  const groups = new Set(live.map((id) => catalogue.byId.get(id)?.groupId).filter(Boolean));
  const open = db
    .select()
    .from(incidentDrafts)
    .where(eq(incidentDrafts.state, 'open'))
    .orderBy(desc(incidentDrafts.lastAlertAt))
    .all();
  const same = open.find((d) => {
    const drafted = Object.keys(JSON.parse(d.components) as Record<string, ComponentStatus>);
    if (drafted.some((id) => live.includes(id))) return true;
    const recent = now.getTime() - d.lastAlertAt.getTime() <= DRAFT_JOIN_WINDOW_MS;
    return recent && drafted.some((id) => groups.has(catalogue.byId.get(id)?.groupId ?? null));
  });
  const draft = same
    ? addAlertToDraft(db, same, live, status, row, catalogue, now)
    : createDraftFromAlert(db, live, status, row, catalogue, now);
  if (same) {
    recordAudit(db, actor, 'incident_draft.join', { type: 'incident_draft', id: draft.id }, now, {
      alertId: row.id,
      components: live,
    });
  } else {
    recordAudit(db, actor, 'incident_draft.create', { type: 'incident_draft', id: draft.id }, now, {
      alertId: row.id,
      components: live,
    });
  }
  return db.update(alerts).set({ draftId: draft.id }).where(eq(alerts.id, row.id)).returning().get();
}

function where(proposed: Record<string, ComponentStatus>, catalogue: Catalogue): string {
  return placeName(
    Object.keys(proposed)
      .map((id) => catalogue.byId.get(id))
      .filter((c) => c !== undefined),
  );
}

/** The words of the alerts already in a draft, first one first. */
function draftAlertWords(db: Db, draftId: string): AlertWords[] {
  return db.select().from(alerts).where(eq(alerts.draftId, draftId)).orderBy(asc(alerts.startsAt)).all().map(wordsOf);
}

/** A new draft for an alert that no open incident or draft covers. */
function createDraftFromAlert(
  db: Db,
  live: string[],
  status: FaultStatus,
  row: AlertRow,
  catalogue: Catalogue,
  now: Date,
): DraftRow {
  const proposed: Record<string, ComponentStatus> = Object.fromEntries(live.map((id) => [id, status]));
  const template = incidentTemplate(row.templateId);
  const place = where(proposed, catalogue);
  const words = draftWords({ template, where: place, statuses: Object.values(proposed), alerts: [wordsOf(row)] });
  return db
    .insert(incidentDrafts)
    .values({
      id: newId(),
      state: 'open',
      name: words.name.slice(0, LIMITS.name),
      impact: impactForStatuses(Object.values(proposed)),
      status: words.status,
      cause: words.cause,
      // What the alert says is the first message; the NOC reads and edits it before publishing.
      body: (row.summary?.trim() || template?.body || defaultDraftBody(place)).slice(0, LIMITS.body),
      components: json(proposed),
      templateId: row.templateId,
      startedAt: draftIncidentStart({ startedAt: row.startsAt }, now),
      lastAlertAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
}

/** A later alert of the same outage joins its draft: components, title, criticality and start follow. */
function addAlertToDraft(
  db: Db,
  draft: DraftRow,
  live: string[],
  status: FaultStatus,
  row: AlertRow,
  catalogue: Catalogue,
  now: Date,
): DraftRow {
  const proposed = JSON.parse(draft.components) as Record<string, ComponentStatus>;
  for (const id of live) proposed[id] = proposed[id] ? worstStatus([proposed[id], status]) : status;
  const templateId = draft.templateId ?? row.templateId;
  const words = draftWords({
    template: incidentTemplate(templateId),
    where: where(proposed, catalogue),
    statuses: Object.values(proposed),
    alerts: [...draftAlertWords(db, draft.id), wordsOf(row)],
  });
  return db
    .update(incidentDrafts)
    .set({
      components: json(proposed),
      name: words.name.slice(0, LIMITS.name),
      impact: impactForStatuses(Object.values(proposed)),
      status: words.status,
      cause: words.cause,
      templateId,
      startedAt: row.startsAt.getTime() < draft.startedAt.getTime() ? row.startsAt : draft.startedAt,
      lastAlertAt: now,
      updatedAt: now,
    })
    .where(eq(incidentDrafts.id, draft.id))
    .returning()
    .get();
}

/** Alerts linked to a draft follow it into the incident it became. */
export function linkDraftAlerts(db: Db, draftId: string, incidentId: string): void {
  db.update(alerts).set({ incidentId }).where(eq(alerts.draftId, draftId)).run();
}
