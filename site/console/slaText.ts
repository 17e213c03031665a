// The console's words for time passing: "hace 46 min", "Vencido hace 16 min", a passed ETA.
// Pure functions of instants, shared by the pages (server) and site/scripts/consoleClock.ts,
// which re-renders them while the dashboard stays open.
import { formatDuration } from '../../db/domain/time.ts';

/** A passed estimated restoration time: the public page and the NOC say the same. */
export const ETA_PASSED = 'vencida — esperando actualización';

export function sinceText(at: Date, now: Date): string {
  return `hace ${formatDuration(now.getTime() - at.getTime())}`;
}

/** What the NOC must do about a response commitment due at `dueAt`, before the deadline itself. */
export function slaDueText(dueAt: Date, now: Date, verb: 'actualizar' | 'publicar'): string {
  const late = now.getTime() - dueAt.getTime();
  if (late > 0) return `Vencido hace ${formatDuration(late)}: ${verb} ya. Límite:`;
  return verb === 'publicar' ? 'Publicar antes de' : 'Próxima actualización antes de';
}

export function etaPassed(eta: Date | null, now: Date): boolean {
  return eta !== null && eta.getTime() <= now.getTime();
}
