import { sqliteTable, text, integer, index, primaryKey } from 'drizzle-orm/sqlite-core';
import { componentStatuses, maintenanceImpactKinds, maintenanceStatuses, maintenanceUpdateKinds } from '../enums.ts';
import { components } from './catalog.ts';

/**
 * A scheduled maintenance window (manual, section 4.2). `sequence` is the iCalendar SEQUENCE:
 * bumped by every change, so calendar clients replace the event they already have.
 */
export const maintenances = sqliteTable(
  'maintenances',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    body: text('body').notNull(),
    status: text('status', { enum: maintenanceStatuses }).notNull(),
    impactKind: text('impact_kind', { enum: maintenanceImpactKinds }).notNull(),
    autoTransition: integer('auto_transition', { mode: 'boolean' }).notNull(),
    emergency: integer('emergency', { mode: 'boolean' }).notNull(),
    emergencyReason: text('emergency_reason'),
    /** Inside 00:00–04:00 America/Mexico_City (computed from the window on every change). */
    lowImpactWindow: integer('low_impact_window', { mode: 'boolean' }).notNull(),
    scheduledFor: integer('scheduled_for', { mode: 'timestamp_ms' }).notNull(),
    scheduledUntil: integer('scheduled_until', { mode: 'timestamp_ms' }).notNull(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }),
    verifyingAt: integer('verifying_at', { mode: 'timestamp_ms' }),
    completedAt: integer('completed_at', { mode: 'timestamp_ms' }),
    cancelledAt: integer('cancelled_at', { mode: 'timestamp_ms' }),
    /** When the 24 h reminder was published; null until then (reset by a reschedule). */
    reminderAt: integer('reminder_at', { mode: 'timestamp_ms' }),
    sequence: integer('sequence').notNull().default(0),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('maintenances_for_idx').on(t.scheduledFor),
    index('maintenances_status_idx').on(t.status, t.scheduledFor),
  ],
);

/**
 * Components a maintenance affects. `previousStatus` is what the component showed when the
 * maintenance put it under maintenance (null if it did not), restored at completion.
 */
export const maintenanceComponents = sqliteTable(
  'maintenance_components',
  {
    maintenanceId: text('maintenance_id')
      .notNull()
      .references(() => maintenances.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    previousStatus: text('previous_status', { enum: componentStatuses }),
  },
  (t) => [
    primaryKey({ columns: [t.maintenanceId, t.componentId] }),
    index('maintenance_components_component_idx').on(t.componentId),
  ],
);

/** Append-only timeline: NOC posts, automatic transitions, reschedules, cancellation. */
export const maintenanceUpdates = sqliteTable(
  'maintenance_updates',
  {
    id: text('id').primaryKey(),
    maintenanceId: text('maintenance_id')
      .notNull()
      .references(() => maintenances.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: maintenanceUpdateKinds }).notNull(),
    status: text('status', { enum: maintenanceStatuses }).notNull(),
    body: text('body').notNull(),
    /** JSON array of `{ componentId, oldStatus, newStatus }` this update caused. */
    transitions: text('transitions').notNull().default('[]'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('maintenance_updates_maintenance_idx').on(t.maintenanceId, t.createdAt)],
);

/** Every reschedule, old window → new window: the history stays visible to customers. */
export const maintenanceScheduleChanges = sqliteTable(
  'maintenance_schedule_changes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    maintenanceId: text('maintenance_id')
      .notNull()
      .references(() => maintenances.id, { onDelete: 'cascade' }),
    previousFor: integer('previous_for', { mode: 'timestamp_ms' }).notNull(),
    previousUntil: integer('previous_until', { mode: 'timestamp_ms' }).notNull(),
    newFor: integer('new_for', { mode: 'timestamp_ms' }).notNull(),
    newUntil: integer('new_until', { mode: 'timestamp_ms' }).notNull(),
    reason: text('reason'),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('maintenance_schedule_changes_idx').on(t.maintenanceId, t.at)],
);
