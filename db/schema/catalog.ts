import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core';
import { componentStatuses, statusEventCauses } from '../enums.ts';

/** An area (Toluca, Metepec, …) or the central services; shown as a group of components. */
export const componentGroups = sqliteTable('component_groups', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  description: text('description'),
  position: integer('position').notNull().default(0),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

export const components = sqliteTable(
  'components',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    description: text('description'),
    groupId: text('group_id').references(() => componentGroups.id, { onDelete: 'restrict' }),
    position: integer('position').notNull().default(0),
    status: text('status', { enum: componentStatuses }).notNull().default('operational'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('components_group_idx').on(t.groupId, t.position)],
);

/**
 * Every change of a component's status, with its times and cause. Uptime bars and history are
 * computed from these rows, never entered by hand. `at` is when the change was recorded (the
 * order statements were made in); `effectiveAt` is when it took effect (an incident's declared
 * start, an alert's `startsAt`, a resolution's `resolved_at`), never later than `at`. The
 * timeline rule (db/domain/timeline.ts) reads both: a later statement about a period wins.
 */
export const componentStatusEvents = sqliteTable(
  'component_status_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    previousStatus: text('previous_status', { enum: componentStatuses }),
    status: text('status', { enum: componentStatuses }).notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    effectiveAt: integer('effective_at', { mode: 'timestamp_ms' }).notNull(),
    causeKind: text('cause_kind', { enum: statusEventCauses }).notNull(),
    causeId: text('cause_id'),
  },
  (t) => [
    index('status_events_component_at_idx').on(t.componentId, t.at),
    index('status_events_component_effective_idx').on(t.componentId, t.effectiveAt),
    index('status_events_effective_idx').on(t.effectiveAt),
  ],
);
