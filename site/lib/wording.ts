// Customer-facing phrases that more than one page, component or script says, written once so
// they read the same everywhere (enums.ts holds the status and criticality labels).
import { DAY, formatDuration } from '#db/domain/time.ts';
import { componentStatusLabels, componentStatusShortLabels, type ComponentStatus } from '#db/enums.ts';

/**
 * The one word a customer reads for a component's state, on every public page: «Operativo»,
 * «Baja velocidad», «Intermitencia», «Sin servicio», «En mantenimiento». The same words the
 * area summaries (db/domain/rollup.ts), the badges and the notices use.
 */
export function stateWord(status: ComponentStatus): string {
  return componentStatusShortLabels[status];
}

/**
 * The technical term, only where it helps (a legend, a tooltip): «Interrupción total» for «Sin
 * servicio». Empty when it says nothing more than the customer word.
 */
export function technicalStateWord(status: ComponentStatus): string {
  const technical = componentStatusLabels[status].replace(/\s*\(.*\)$/, '');
  return technical === componentStatusShortLabels[status] ? '' : technical;
}

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

/**
 * A service's technology as the CRM wrote it («fiber», «microwave», «Fibra óptica»), in the
 * customer's Spanish: the statement and «¿Me afecta?» never show «fiber».
 */
export function technologyWord(raw: string): string {
  const key = raw.trim().toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
  if (/^(fiber|fibre|fibra|ftth|fiber optic|fibra optica)$/.test(key)) return 'Fibra óptica';
  if (/^(microwave|wireless|radio|inalambrico|microondas|inalambrico \(microondas\))$/.test(key))
    return 'Inalámbrico (microondas)';
  return raw.trim();
}
