import type { AuditSubject, SubjectType } from '../auditSubjects.ts';
import type { Db } from '../client.ts';
import { auditLog } from '../schema/index.ts';
import { bulkInsert } from './bulkInsert.ts';

export interface Actor {
  /** `client`: someone not signed in, named by address (a failed sign-in). */
  kind: 'token' | 'user' | 'cli' | 'system' | 'alert' | 'client';
  name: string;
}

export const systemActor: Actor = { kind: 'system', name: 'sistema' };

/** Subject types audited during the command now running on a connection (see `auditedDuring`). */
const audited = new WeakMap<Db, Set<SubjectType>>();

/**
 * Runs `fn` and returns the subject types it audited on `db`, with its result. Nested calls (a
 * command inside a command) report to the outermost.
 */
export function auditedDuring<T>(
  db: Db,
  fn: () => T,
): { result: T; subjects: ReadonlySet<SubjectType>; outermost: boolean } {
  const outer = audited.get(db);
  if (outer) return { result: fn(), subjects: outer, outermost: false };
  const subjects = new Set<SubjectType>();
  audited.set(db, subjects);
  try {
    return { result: fn(), subjects, outermost: true };
  } finally {
    audited.delete(db);
  }
}

/**
 * Notes that the running command changed `subjectType` without an audit row of its own: a
 * component status an alert (or a maintenance) moved, which the public sees whoever moved it; a
 * webhook resent unchanged, which it does not.
 */
export function noteChange(db: Db, subjectType: SubjectType): void {
  audited.get(db)?.add(subjectType);
}

/**
 * Writes one audit row; call it inside the command's transaction. `subject` is what the write is
 * about, typed (db/auditSubjects.ts): the publisher reads its type, id and `changed`, never
 * `action` or `details` (those are for people reading the audit).
 */
export function recordAudit(
  db: Db,
  actor: Actor,
  action: string,
  subject: AuditSubject,
  at: Date,
  details?: unknown,
): void {
  audited.get(db)?.add(subject.type);
  db.insert(auditLog)
    .values({
      at,
      actorKind: actor.kind,
      actorName: actor.name,
      action,
      subjectType: subject.type,
      subjectId: 'id' in subject ? (subject.id ?? null) : null,
      changed: 'changed' in subject ? subject.changed : null,
      details: details === undefined ? null : JSON.stringify(details),
    })
    .run();
}

/** Audit rows written together (a large alert delivery's slice), through one prepared statement. */
export function recordAudits(
  db: Db,
  rows: ReadonlyArray<{ actor: Actor; action: string; subject: AuditSubject; at: Date; details?: unknown }>,
): void {
  const values = rows.map(({ actor, action, subject, at, details }) => {
    audited.get(db)?.add(subject.type);
    return {
      at,
      actorKind: actor.kind,
      actorName: actor.name,
      action,
      subjectType: subject.type,
      subjectId: 'id' in subject ? (subject.id ?? null) : null,
      changed: 'changed' in subject ? subject.changed : null,
      details: details === undefined ? null : JSON.stringify(details),
    };
  });
  bulkInsert(db, auditLog, values);
}
