// Customer-facing phrases that more than one page, component or script says, written once so
// they read the same everywhere (enums.ts holds the status and criticality labels).
import { DAY, formatDuration } from '#db/domain/time.ts';

/** After an ETA that passed with no new update (a customer reading a time in the past must be told why it passed). */
export const ETA_PASSED = 'vencida — esperando actualización';

/** "hace 12 min", "hace 2 h 5 min", "hace 3 días": how long ago, beside an absolute time. */
export function agoText(ms: number): string {
  if (ms < 60_000) return 'hace menos de 1 min';
  if (ms >= DAY) {
    const days = Math.floor(ms / DAY);
    return `hace ${days} ${days === 1 ? 'día' : 'días'}`;
  }
  return `hace ${formatDuration(ms)}`;
}
