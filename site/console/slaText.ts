// The console's words for time passing: "hace 46 min", "Vencido hace 16 min". Pure functions
// of instants, shared by the pages (server) and site/scripts/consoleClock.ts, which re-renders
// them while the dashboard stays open. "hace …" and a passed ETA are the public pages' words
// (site/lib/wording.ts).
import { formatDuration } from '#db/domain/time.ts';
import { agoText } from '../lib/wording.ts';

export function sinceText(at: Date, now: Date): string {
  return agoText(Math.max(0, now.getTime() - at.getTime()));
}

/** What the NOC must do about a response commitment due at `dueAt`, before the deadline itself. */
export function slaDueText(dueAt: Date, now: Date, verb: 'actualizar' | 'publicar'): string {
  const late = now.getTime() - dueAt.getTime();
  if (late > 0) return `Vencido hace ${formatDuration(late)}: ${verb} ya. Límite:`;
  return verb === 'publicar' ? 'Publicar antes de' : 'Próxima actualización antes de';
}
