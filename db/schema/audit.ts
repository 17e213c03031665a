import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core';
import type { SubjectChange } from '../auditSubjects.ts';

/** Who changed what and when, for every change made through the API, the console or the CLI. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    /** "token", "user", "cli", "system" (scheduler, seed) or "alert" (monitoring, named source/receiver). */
    actorKind: text('actor_kind').notNull(),
    /** Token name, user email, … */
    actorName: text('actor_name').notNull(),
    /** "incident.create", "component.update", … */
    action: text('action').notNull(),
    /** One of the subject types of db/auditSubjects.ts ("incident", "component", "subscriber"…). */
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id'),
    /**
     * What the write changed, for the subjects whose public reach depends on it (db/auditSubjects.ts
     * `SubjectChange`): a component's `"created"` or the fields it changed (`["status"]`). Null for
     * the others. The publisher reads this, never `details`.
     */
    changed: text('changed', { mode: 'json' }).$type<SubjectChange>(),
    /** JSON with what changed. */
    details: text('details'),
  },
  (t) => [index('audit_at_idx').on(t.at), index('audit_subject_idx').on(t.subjectType, t.subjectId)],
);
