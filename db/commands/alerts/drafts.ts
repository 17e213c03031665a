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
  measureOf,
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
import type { AuditSubject } from '../../auditSubjects.ts';
import { recordAudits, type Actor } from '../audit.ts';
import { LIMITS } from '../input.ts';
import { ids, json, wordsOf } from './episodes.ts';

/** An audit row waiting for its batch (db/commands/audit.ts `recordAudits`). */
export type PendingAudit = Parameters<typeof recordAudits>[1][number];

/** Where a firing alert goes (its row's draftId or incidentId), decided in memory. */
export type AlertLink = { incidentId: string } | { draftId: string } | null;

/**
 * Links the firing alerts of one delivery (or one slice of a large one) to open incidents and
 * drafts. The open drafts are read once; a draft that alerts join is written once, at `flush`,
 * with every alert that joined it, so a storm of thousands of alerts of one outage costs one
 * draft update, not one per alert. Audit rows wait in `audits` for the caller's batch.
 */
export class DraftLinker {
  private readonly db: Db;
  private readonly catalogue: Catalogue;
  private readonly holders: ReadonlyMap<string, readonly ComponentHolder[]>;
  private readonly actor: Actor;
  private readonly now: Date;
  private open: DraftRow[] | undefined;
  /** Drafts joined since the last flush, with the template the first alert that joined names. */
  private readonly joined = new Map<string, { draft: DraftRow; templateId: string | null }>();
  /**
   * Per draft, the first alert's words for each thing measured (db/domain/alerts.ts `measureOf`):
   * all a draft's title reads, kept while a large delivery is applied slice by slice.
   */
  private readonly measured = new Map<string, Map<string | null, AlertWords>>();
  readonly audits: PendingAudit[] = [];

  constructor(
    db: Db,
    catalogue: Catalogue,
    holders: ReadonlyMap<string, readonly ComponentHolder[]>,
    actor: Actor,
    now: Date,
  ) {
    this.db = db;
    this.catalogue = catalogue;
    this.holders = holders;
    this.actor = actor;
    this.now = now;
  }

  private audit(action: string, subject: AuditSubject, details: unknown) {
    this.audits.push({ actor: this.actor, action, subject, at: this.now, details });
  }

  /** Where this firing alert goes; null when it is already linked or has nothing to link. */
  link(row: AlertRow): AlertLink {
    const { catalogue, now } = this;
    if (
      row.draftId ||
      row.incidentId ||
      !row.proposedStatus ||
      (row.effect !== 'automatic' && row.effect !== 'proposed')
    )
      return null;
    const held = new Set(ids(row.suppressedIds));
    const live = ids(row.componentIds).filter((id) => !held.has(id));
    if (live.length === 0) return null;
    const incident = openIncidentHolding(this.holders, live);
    if (incident) {
      this.audit('alert.link', { type: 'alert', id: row.id }, { incidentId: incident.id });
      return { incidentId: incident.id };
    }
    const status = row.proposedStatus as FaultStatus;
    const groups = new Set(live.map((id) => catalogue.byId.get(id)?.groupId).filter(Boolean));
    this.open ??= this.db
      .select()
      .from(incidentDrafts)
      .where(eq(incidentDrafts.state, 'open'))
      .orderBy(desc(incidentDrafts.lastAlertAt))
      .all();
    const same = this.open.find((d) => {
      const drafted = Object.keys(JSON.parse(d.components) as Record<string, ComponentStatus>);
      if (drafted.some((id) => live.includes(id))) return true;
      const recent = now.getTime() - d.lastAlertAt.getTime() <= DRAFT_JOIN_WINDOW_MS;
      return recent && drafted.some((id) => groups.has(catalogue.byId.get(id)?.groupId ?? null));
    });
    if (same) {
      this.join(same, live, status, row);
      this.audit('incident_draft.join', { type: 'incident_draft', id: same.id }, { alertId: row.id, components: live });
      return { draftId: same.id };
    }
    const draft = createDraftFromAlert(this.db, live, status, row, catalogue, now);
    // The latest first, as read: a later alert of the same outage finds it first.
    this.open.unshift(draft);
    const words = wordsOf(row);
    this.measured.set(draft.id, new Map([[measureOf(words), words]]));
    this.audit(
      'incident_draft.create',
      { type: 'incident_draft', id: draft.id },
      { alertId: row.id, components: live },
    );
    return { draftId: draft.id };
  }

  /** A later alert of the same outage joins its draft (in memory until `flush`). */
  private join(draft: DraftRow, live: string[], status: FaultStatus, row: AlertRow): void {
    const proposed = JSON.parse(draft.components) as Record<string, ComponentStatus>;
    for (const id of live) proposed[id] = proposed[id] ? worstStatus([proposed[id], status]) : status;
    draft.components = json(proposed);
    draft.startedAt = row.startsAt.getTime() < draft.startedAt.getTime() ? row.startsAt : draft.startedAt;
    draft.lastAlertAt = this.now;
    draft.updatedAt = this.now;
    const entry = this.joined.get(draft.id) ?? { draft, templateId: null };
    entry.templateId ??= row.templateId;
    this.joined.set(draft.id, entry);
    const measured = this.measuredIn(draft.id);
    const words = wordsOf(row);
    const measure = measureOf(words);
    if (!measured.has(measure)) measured.set(measure, words);
  }

  private measuredIn(draftId: string): Map<string | null, AlertWords> {
    let measured = this.measured.get(draftId);
    if (!measured) {
      measured = new Map();
      for (const words of draftAlertWords(this.db, draftId)) {
        const measure = measureOf(words);
        if (!measured.has(measure)) measured.set(measure, words);
      }
      this.measured.set(draftId, measured);
    }
    return measured;
  }

  /** Writes each draft alerts joined since the last flush, once: components, title, criticality and start follow. */
  flush(): void {
    for (const { draft, templateId: joinedTemplate } of this.joined.values()) {
      const proposed = JSON.parse(draft.components) as Record<string, ComponentStatus>;
      const templateId = draft.templateId ?? joinedTemplate;
      const draftWordsNow = draftWords({
        template: incidentTemplate(templateId),
        where: where(proposed, this.catalogue),
        statuses: Object.values(proposed),
        alerts: this.measuredIn(draft.id).values(),
      });
      const set = {
        components: draft.components,
        name: draftWordsNow.name.slice(0, LIMITS.name),
        impact: impactForStatuses(Object.values(proposed)),
        status: draftWordsNow.status,
        cause: draftWordsNow.cause,
        templateId,
        startedAt: draft.startedAt,
        lastAlertAt: draft.lastAlertAt,
        updatedAt: draft.updatedAt,
      };
      Object.assign(draft, set);
      this.db.update(incidentDrafts).set(set).where(eq(incidentDrafts.id, draft.id)).run();
    }
    this.joined.clear();
    // Another request may publish or discard a draft between two slices: the open ones are read again.
    this.open = undefined;
  }
}

/** Links one firing alert now (the settler's path): the row as linked. */
export function linkAlert(
  db: Db,
  row: AlertRow,
  catalogue: Catalogue,
  holders: ReadonlyMap<string, readonly ComponentHolder[]>,
  actor: Actor,
  now: Date,
): AlertRow {
  const linker = new DraftLinker(db, catalogue, holders, actor, now);
  const link = linker.link(row);
  if (!link) return row;
  const linked = db.update(alerts).set(link).where(eq(alerts.id, row.id)).returning().get();
  linker.flush();
  recordAudits(db, linker.audits);
  return linked;
}

function where(proposed: Record<string, ComponentStatus>, catalogue: Catalogue): string {
  return placeName(
    Object.keys(proposed)
      .map((id) => catalogue.byId.get(id))
      .filter((c) => c !== undefined),
  );
}

/**
 * The words of the alerts already in a draft as a title reads them (alert name, summary,
 * description), each different text once, first one first.
 */
function draftAlertWords(db: Db, draftId: string): AlertWords[] {
  const rows = db.$client
    .prepare(
      `SELECT json_extract(labels, '$.alertname') AS alertname, summary, description, min(starts_at) AS first
       FROM alerts WHERE draft_id = ? GROUP BY 1, 2, 3 ORDER BY first`,
    )
    .all(draftId) as Array<{ alertname: string | null; summary: string | null; description: string | null }>;
  return rows.map((r): AlertWords => ({
    labels: r.alertname === null ? {} : { alertname: r.alertname },
    annotations: {},
    summary: r.summary,
    description: r.description,
  }));
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

/** Alerts linked to a draft follow it into the incident it became. */
export function linkDraftAlerts(db: Db, draftId: string, incidentId: string): void {
  db.update(alerts).set({ incidentId }).where(eq(alerts.draftId, draftId)).run();
}
