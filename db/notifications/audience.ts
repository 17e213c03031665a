// Who will be told about an incident that affects some components, per channel, for the
// console's confirmation step ("se notificará a …"). Each channel that notifies people
// registers a counter at import time of its module (like registerFanOut in ./index.ts).
import type { Db } from '../client.ts';

export interface AudienceCount {
  /** Channel id, e.g. "email". */
  channel: string;
  /** Spanish description for the confirmation, e.g. "suscriptores por correo". */
  label: string;
  count: number;
}

export type AudienceCounter = (db: Db, componentIds: string[]) => AudienceCount;

const counters: AudienceCounter[] = [];

export function registerAudienceCounter(counter: AudienceCounter): void {
  if (!counters.includes(counter)) counters.push(counter);
}

/** Per-channel counts of who would be notified about these components (empty: no channel yet). */
export function audienceFor(db: Db, componentIds: string[]): AudienceCount[] {
  return counters.map((count) => count(db, componentIds));
}
