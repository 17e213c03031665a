import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, index, blob } from 'drizzle-orm/sqlite-core';
import {
  alertEffects,
  alertFormats,
  alertModes,
  alertStatuses,
  componentStatuses,
  draftStates,
  incidentImpacts,
  incidentStatuses,
} from '../enums.ts';
import { incidents } from './incidents.ts';

/**
 * Every accepted webhook as it arrived (raw body), so a surprising payload can be read later.
 * Alertmanager and Grafana resend a whole group every group_interval: an identical body only
 * counts again (`dedupKey` = SHA-256 of format and body). Kept 30 days. Refused payloads write
 * nothing (the sender gets the 4xx and keeps its copy). The body itself is in
 * `alert_delivery_bodies`: this row is updated as a large delivery is applied (its cursor, slice
 * by slice), and SQLite rewrites a whole row on each update — 2 MB each time with the body in it.
 */
export const alertDeliveries = sqliteTable(
  'alert_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    format: text('format', { enum: alertFormats }).notNull(),
    /** Who sent it: "alertmanager/<receiver>", "grafana/<receiver>" or the generic `source`. */
    sender: text('sender').notNull(),
    dedupKey: text('dedup_key').notNull().unique(),
    alertCount: integer('alert_count').notNull(),
    /** JSON: what processing did, e.g. `{"changed":2,"unmatched":1}`. */
    outcome: text('outcome').notNull(),
    tokenName: text('token_name'),
    receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
    lastReceivedAt: integer('last_received_at', { mode: 'timestamp_ms' }).notNull(),
    timesReceived: integer('times_received').notNull().default(1),
    /**
     * A large group is applied in slices, each its own transaction (db/commands/alerts/receive.ts):
     * 'applying' until the last one, with `cursor` alerts of the body applied so far, by
     * `applier` (a server instance, db/commands/lease.ts) whose work it stays while
     * `applierUntil` is ahead. A server that died mid-way leaves it 'applying': the holder of the
     * background lease resumes it from the stored body.
     */
    state: text('state', { enum: ['applying', 'applied'] })
      .notNull()
      .default('applied'),
    cursor: integer('cursor').notNull().default(0),
    applier: text('applier'),
    applierUntil: integer('applier_until', { mode: 'timestamp_ms' }),
    /** JSON while applying: the components its slices touched and fired, and the outcome so far. */
    progress: text('progress').notNull().default('{}'),
  },
  (t) => [
    index('alert_deliveries_last_idx').on(t.lastReceivedAt),
    index('alert_deliveries_applying_idx')
      .on(t.state)
      .where(sql`state = 'applying'`),
  ],
);

/**
 * The body of each delivery as received, written once (see `alertDeliveries`): as text, or, for a
 * large group read by the intake worker, gzipped there (`gzip`, with `body` empty). A 2 MB body
 * written as text took the server's event loop some 20–40 ms (SQLite writing 500 pages to the
 * WAL); its gzip is some 20 times smaller. Read it through `deliveryBodyText`
 * (db/queries/alerts.ts): the text as received either way.
 */
export const alertDeliveryBodies = sqliteTable('alert_delivery_bodies', {
  deliveryId: integer('delivery_id')
    .primaryKey()
    .references(() => alertDeliveries.id, { onDelete: 'cascade' }),
  body: text('body').notNull(),
  gzip: blob('gzip', { mode: 'buffer' }),
});

/**
 * The last notice of each alert group as applied: Alertmanager and Grafana resend a whole group
 * every group_interval, and a resend that says what was applied last is one comparison of
 * `digest` (or, byte for byte, of `rawDigest`) and writes nothing. `stamp` is what the rules,
 * the catalogue and the maintenance windows were when it was applied: a change there makes the
 * same notice worth evaluating again. `seenAt` / `resendsSeen` are refreshed at most every few
 * minutes, so that an alert resent all day is never taken for stale.
 */
export const alertGroups = sqliteTable(
  'alert_groups',
  {
    /** Format, sender and the group's own key (Alertmanager's groupKey; a generic alert's source and id). */
    key: text('key').primaryKey(),
    digest: text('digest').notNull(),
    rawDigest: text('raw_digest').notNull(),
    stamp: text('stamp').notNull(),
    deliveryId: integer('delivery_id').notNull(),
    appliedAt: integer('applied_at', { mode: 'timestamp_ms' }).notNull(),
    seenAt: integer('seen_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('alert_groups_raw_idx').on(t.rawDigest)],
);

/**
 * A draft incident opened by alerts. Drafts live apart from `incidents`, so no public read
 * (pages, v2, feeds, emails, webhooks) can see one: publishing creates the real incident.
 */
export const incidentDrafts = sqliteTable(
  'incident_drafts',
  {
    id: text('id').primaryKey(),
    state: text('state', { enum: draftStates }).notNull(),
    name: text('name').notNull(),
    impact: text('impact', { enum: incidentImpacts }).notNull(),
    status: text('status', { enum: incidentStatuses }).notNull(),
    cause: text('cause'),
    body: text('body').notNull(),
    /** JSON `{ componentId: status }` proposed by the draft's alerts (worst per component). */
    components: text('components').notNull(),
    templateId: text('template_id'),
    /** The first alert's `startsAt`: the SLA clock of the draft runs from here. */
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    /** When an alert last opened or joined it (later alerts of the same outage join within minutes). */
    lastAlertAt: integer('last_alert_at', { mode: 'timestamp_ms' }).notNull(),
    incidentId: text('incident_id').references(() => incidents.id, { onDelete: 'set null' }),
    closedAt: integer('closed_at', { mode: 'timestamp_ms' }),
    closedBy: text('closed_by'),
    discardReason: text('discard_reason'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('incident_drafts_state_idx').on(t.state, t.lastAlertAt)],
);

/**
 * One firing episode of one alert, keyed by source + fingerprint (Alertmanager/Grafana) or
 * source + id (generic). A resend of the same episode updates `lastReceivedAt` only; an alert
 * that fires again within the hold-down time reopens its episode as flapping; later, a new row.
 * Times the sender states (`startsAt`, `endsAt`) are kept apart from the times we saw things
 * (`firstReceivedAt`, `lastFiredAt`, `resolvedAt`), which the damping clock uses.
 */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    format: text('format', { enum: alertFormats }).notNull(),
    source: text('source').notNull(),
    receiver: text('receiver'),
    fingerprint: text('fingerprint').notNull(),
    status: text('status', { enum: alertStatuses }).notNull(),
    severity: text('severity'),
    summary: text('summary'),
    description: text('description'),
    /** JSON objects of strings. */
    labels: text('labels').notNull(),
    annotations: text('annotations').notNull(),
    url: text('url'),
    startsAt: integer('starts_at', { mode: 'timestamp_ms' }).notNull(),
    endsAt: integer('ends_at', { mode: 'timestamp_ms' }),
    /** JSON array of component ids the alert names (an area expanded), and of references that named nothing. */
    componentIds: text('component_ids').notNull(),
    unmatchedRefs: text('unmatched_refs').notNull(),
    /** JSON array of component ids a maintenance in progress held when the alert was last evaluated. */
    suppressedIds: text('suppressed_ids').notNull().default('[]'),
    ruleName: text('rule_name'),
    mode: text('mode', { enum: alertModes }).notNull(),
    /** The status this alert means for its components (null: none, e.g. severity "info"). */
    proposedStatus: text('proposed_status', { enum: componentStatuses }),
    effect: text('effect', { enum: alertEffects }).notNull(),
    /** Why the effect is what it is, for the NOC ("status_page_status «x» no es válido…"). */
    note: text('note'),
    flapping: integer('flapping', { mode: 'boolean' }).notNull().default(false),
    flapCount: integer('flap_count').notNull().default(0),
    templateId: text('template_id'),
    draftId: text('draft_id').references(() => incidentDrafts.id, { onDelete: 'set null' }),
    incidentId: text('incident_id').references(() => incidents.id, { onDelete: 'set null' }),
    deliveryId: integer('delivery_id'),
    /** Digest of the last notice written to this episode (db/domain/alerts.ts `noticeDigest`): the same again writes nothing. */
    noticeDigest: text('notice_digest'),
    firstReceivedAt: integer('first_received_at', { mode: 'timestamp_ms' }).notNull(),
    lastReceivedAt: integer('last_received_at', { mode: 'timestamp_ms' }).notNull(),
    lastFiredAt: integer('last_fired_at', { mode: 'timestamp_ms' }).notNull(),
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    index('alerts_key_idx').on(t.source, t.fingerprint, t.firstReceivedAt),
    index('alerts_active_idx').on(t.status, t.flapping),
    // What the active alerts that change status automatically impose (db/queries/alerts.ts
    // `automaticAlertHolds`), read from the index alone, already grouped: after a storm of 5,000
    // firing alerts the query sorted them all in a temporary B-tree on each read (4 ms; the
    // storm's last turns and the clock's pass right after it each read it), 0.6 ms with this.
    index('alerts_holds_idx')
      .on(t.effect, t.status, t.flapping, t.proposedStatus, t.mode, t.componentIds, t.suppressedIds, t.startsAt, t.id)
      .where(sql`${t.effect} = 'automatic' AND (${t.status} = 'firing' OR ${t.flapping} = 1)`),
    index('alerts_draft_idx').on(t.draftId),
    index('alerts_incident_idx').on(t.incidentId),
    index('alerts_received_idx').on(t.firstReceivedAt),
  ],
);

/**
 * The NOC's mapping rules and defaults (one document, replaced whole by PUT /api/v1/alert-rules).
 * Component references are stored as ids, so renaming a slug does not break a rule.
 */
export const alertRuleSets = sqliteTable('alert_rule_sets', {
  id: integer('id').primaryKey(),
  document: text('document').notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  updatedBy: text('updated_by').notNull(),
});
