// The first notifying POST after a start paid, besides its own work, for running its code for
// the first time: zod compiling the command's validator and the text rules' expressions, the
// audience query prepared and its 11,600 subscribers' pages read into SQLite's cache — a CPU
// profile at 20,000 incidents found 20 ms of its 50 there. The server does that once, a moment
// after it starts listening, with nothing written: the first outage's update does not pay it.
import type { Db } from '#db/client.ts';
import { createIncidentInput, incidentUpdateInput } from '#db/commands/incidents.ts';
import { audienceFor } from '#db/notifications/audience.ts';

/** Runs the read side of a notifying write once; never throws (a cold path is only slower). */
export function warmWritePath(db: Db): void {
  try {
    const body = 'Calentamiento del servidor: «ñ», á.\nSegunda línea.';
    incidentUpdateInput.safeParse({ status: 'identified', body, eta: null });
    createIncidentInput.safeParse({ name: 'Calentamiento', status: 'investigating', body });
    // Every component's audience: the statement, and the subscribers read once.
    audienceFor(db, { componentIds: [] });
  } catch {
    // A database being restored, a closed connection: the first write warms it instead.
  }
}
