import { sqliteTable, text, integer, index, primaryKey } from 'drizzle-orm/sqlite-core';
import { componentStatuses, incidentImpacts, incidentStatuses } from '../enums.ts';
import { components } from './catalog.ts';

export const incidents = sqliteTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    status: text('status', { enum: incidentStatuses }).notNull(),
    impact: text('impact', { enum: incidentImpacts }).notNull(),
    cause: text('cause'),
    eta: integer('eta', { mode: 'timestamp_ms' }),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    monitoringAt: integer('monitoring_at', { mode: 'timestamp_ms' }),
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('incidents_started_idx').on(t.startedAt), index('incidents_resolved_idx').on(t.resolvedAt)],
);

/** Components an incident affects (the union over its updates). */
export const incidentComponents = sqliteTable(
  'incident_components',
  {
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.incidentId, t.componentId] }),
    index('incident_components_component_idx').on(t.componentId),
  ],
);

/** Append-only: the incident's current state is its latest update. */
export const incidentUpdates = sqliteTable(
  'incident_updates',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    status: text('status', { enum: incidentStatuses }).notNull(),
    body: text('body').notNull(),
    cause: text('cause'),
    eta: integer('eta', { mode: 'timestamp_ms' }),
    deliverNotifications: integer('deliver_notifications', { mode: 'boolean' }).notNull().default(true),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    displayAt: integer('display_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('incident_updates_incident_idx').on(t.incidentId, t.createdAt)],
);

/** What one update did to each component: old → new. */
export const incidentUpdateTransitions = sqliteTable(
  'incident_update_transitions',
  {
    updateId: text('update_id')
      .notNull()
      .references(() => incidentUpdates.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    oldStatus: text('old_status', { enum: componentStatuses }).notNull(),
    newStatus: text('new_status', { enum: componentStatuses }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.updateId, t.componentId] })],
);

/**
 * The incident report ("Informe del incidente", a postmortem) in Markdown, one row per version:
 * the current report is the highest version, the first version's time is when it was published.
 */
export const incidentReportVersions = sqliteTable(
  'incident_report_versions',
  {
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    body: text('body').notNull(),
    /** Who wrote this version (the audit row says the same, with the actor's kind). */
    author: text('author').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.version] })],
);
