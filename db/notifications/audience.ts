// Who will be told about a change, per channel, for the console's confirmation step («se
// avisará a 1,240 correos, 312 WhatsApp, 45 SMS y 12 canales de Teams»). Each channel that
// notifies people registers a counter at import time of its module (like registerFanOut in ./index.ts).
import type { Db } from '../client.ts';
import type { SubscriberChannel } from '../enums.ts';

export interface AudienceCount {
  channel: SubscriberChannel;
  count: number;
}

export type AudienceCounter = (db: Db, scope: { componentIds: string[]; elements: string[] }) => AudienceCount[];

const counters: AudienceCounter[] = [];

export function registerAudienceCounter(counter: AudienceCounter): void {
  if (!counters.includes(counter)) counters.push(counter);
}

/** Per-channel counts of who would be told about this scope (components, and network elements). */
export function audienceFor(db: Db, scope: { componentIds: string[]; elements?: string[] }): AudienceCount[] {
  const full = { componentIds: scope.componentIds, elements: scope.elements ?? [] };
  const byChannel = new Map<SubscriberChannel, number>();
  for (const count of counters)
    for (const c of count(db, full)) byChannel.set(c.channel, (byChannel.get(c.channel) ?? 0) + c.count);
  return [...byChannel.entries()].map(([channel, count]) => ({ channel, count }));
}
