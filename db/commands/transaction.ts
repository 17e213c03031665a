import type { Db } from '../client.ts';
import type { Actor } from './audit.ts';

/** Who acts and when: every command takes one, and writes it to the audit log. */
export interface CommandContext {
  now: Date;
  actor: Actor;
}

type Listener = () => void;
const listeners = new WeakMap<Db, Set<Listener>>();

/** Called after every committed command on this connection: caches drop what they rendered. */
export function onCommit(db: Db, listener: Listener): () => void {
  let set = listeners.get(db);
  if (!set) listeners.set(db, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * Runs one command as one synchronous transaction (better-sqlite3 transactions cannot span an
 * await). On any throw everything rolls back; on commit the listeners run.
 */
export function runCommand<T>(db: Db, fn: (tx: Db) => T): T {
  const result = db.$client.transaction(() => fn(db)).immediate();
  for (const l of listeners.get(db) ?? []) l();
  return result;
}
