import type { Db } from '../client.ts';
import { auditLog } from '../schema/index.ts';
import { bulkInsert } from './bulkInsert.ts';

export interface Actor {
  /** `client`: someone not signed in, named by address (a failed sign-in). */
  kind: 'token' | 'user' | 'cli' | 'system' | 'alert' | 'client';
  name: string;
}

export const systemActor: Actor = { kind: 'system', name: 'sistema' };

/**
 * Audit subjects that no public page or document shows. A command that audits only these changes
 * nothing the public sees: the page cache keeps its pages (runCommand) and the publisher
 * publishes nothing (api/publish/changes.ts). Sign-ups peak during an outage, exactly when the
 * pages do; flushing the cache on each had the home page rendered again for nearly every visitor.
 */
export const PRIVATE_SUBJECTS: ReadonlySet<string> = new Set([
  'subscriber',
  'user',
  'token',
  'session',
  'webhook',
  'feasibility_request',
  // Alerts, drafts, their rules and the webhooks as received are the NOC's; what an alert changes
  // in public is a component's status, which setComponentStatus notes as 'component'.
  'alert',
  'incident_draft',
  'alert_rules',
  'alert_delivery',
  // The customer service inventory: no public page lists it (/mi-servicio is rendered per lookup).
  'service',
  // Network quality's settings (the Prometheus mapping, thresholds) and the pull worker's state are
  // the NOC's; samples themselves are noted as 'quality' and republish the quality pages.
  'quality_sources',
  'quality_thresholds',
  'quality_state',
]);

/** Subject types audited during the command now running on a connection (see `auditedDuring`). */
const audited = new WeakMap<Db, Set<string>>();

/**
 * Runs `fn` and returns the subject types it audited on `db`, with its result. Nested calls (a
 * command inside a command) report to the outermost.
 */
export function auditedDuring<T>(
  db: Db,
  fn: () => T,
): { result: T; subjects: ReadonlySet<string>; outermost: boolean } {
  const outer = audited.get(db);
  if (outer) return { result: fn(), subjects: outer, outermost: false };
  const subjects = new Set<string>();
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
export function noteChange(db: Db, subjectType: string): void {
  audited.get(db)?.add(subjectType);
}

/** Writes one audit row; call it inside the command's transaction. */
export function recordAudit(
  db: Db,
  actor: Actor,
  action: string,
  subject: { type: string; id?: string | null },
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
      subjectId: subject.id ?? null,
      details: details === undefined ? null : JSON.stringify(details),
    })
    .run();
}

/** Audit rows written together (a large alert delivery's slice), through one prepared statement. */
export function recordAudits(
  db: Db,
  rows: ReadonlyArray<{
    actor: Actor;
    action: string;
    subject: { type: string; id?: string | null };
    at: Date;
    details?: unknown;
  }>,
): void {
  const values = rows.map(({ actor, action, subject, at, details }) => {
    audited.get(db)?.add(subject.type);
    return {
      at,
      actorKind: actor.kind,
      actorName: actor.name,
      action,
      subjectType: subject.type,
      subjectId: subject.id ?? null,
      details: details === undefined ? null : JSON.stringify(details),
    };
  });
  bulkInsert(db, auditLog, values);
}
