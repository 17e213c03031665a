import type { Db } from '../client.ts';
import { auditLog } from '../schema/index.ts';

export interface Actor {
  kind: 'token' | 'user' | 'cli' | 'system' | 'alert';
  name: string;
}

export const systemActor: Actor = { kind: 'system', name: 'sistema' };

/** Writes one audit row; call it inside the command's transaction. */
export function recordAudit(
  db: Db,
  actor: Actor,
  action: string,
  subject: { type: string; id?: string | null },
  at: Date,
  details?: unknown,
): void {
  db.insert(auditLog).values({
    at,
    actorKind: actor.kind,
    actorName: actor.name,
    action,
    subjectType: subject.type,
    subjectId: subject.id ?? null,
    details: details === undefined ? null : JSON.stringify(details),
  }).run();
}
