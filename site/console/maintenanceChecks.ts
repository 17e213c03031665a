// The manual's maintenance rules (section 4.2) as hints next to the console's form fields.
// The same module runs in the page (server) and in the browser as the NOC types
// (site/scripts/maintenanceForm.ts); both call the pure functions the commands enforce
// (db/domain/maintenance.ts), so a hint and the server's verdict cannot disagree.
import {
  DEFAULT_MAX_WINDOW_HOURS,
  formatNotice,
  hasEnoughNotice,
  isLowImpactWindow,
  MIN_NOTICE_MS,
  noticeMs,
  startsInPast,
  windowProblem,
  windowProblemMessage,
} from '#db/domain/maintenance.ts';
import { formatDateTime, formatDuration, ZONE_LABEL } from '#db/domain/time.ts';
import { parseLocalDateTime } from './localDateTime.ts';

export type HintTone = 'ok' | 'warning' | 'error';

export interface WindowHint {
  tone: HintTone;
  text: string;
}

export interface WindowHints {
  /** About the notice given (shown under the start field). */
  notice: WindowHint | null;
  /** About the window itself: order, length, low-impact hours (shown under the end field). */
  window: WindowHint | null;
}

export interface WindowCheckInput {
  now: Date;
  /** datetime-local values, read as America/Mexico_City. */
  from: string;
  until: string;
  emergency: boolean;
  maxHours?: number;
  /** When rescheduling: the start as published. Postponing needs no new notice. */
  previousFor?: Date | null;
  /** The window already began: only its end can move. */
  started?: boolean;
}

export function windowHints(input: WindowCheckInput): WindowHints {
  const from = parseLocalDateTime(input.from);
  const until = parseLocalDateTime(input.until);
  return {
    notice: from && !input.started ? noticeHint(input, from) : null,
    window: from && until ? windowHint(input, from, until) : null,
  };
}

function noticeHint(input: WindowCheckInput, from: Date): WindowHint {
  const { now, emergency, previousFor } = input;
  const given = formatNotice(noticeMs(now, from));
  if (previousFor && from.getTime() === previousFor.getTime()) return { tone: 'ok', text: 'Inicio sin cambios.' };
  if (previousFor && from.getTime() > previousFor.getTime())
    return { tone: 'ok', text: 'Se pospone: no requiere un nuevo aviso de 72 horas.' };
  if (startsInPast(now, from)) return { tone: 'error', text: 'El inicio ya pasó: indique una hora futura.' };
  if (hasEnoughNotice(now, from)) return { tone: 'ok', text: `Aviso: ${given} (mínimo 72 horas).` };
  if (emergency)
    return {
      tone: 'warning',
      text: `Emergencia: se publicará como «Mantenimiento de emergencia» con ${given}. Explique el motivo.`,
    };
  const earliest = new Date(now.getTime() + MIN_NOTICE_MS);
  return {
    tone: 'error',
    text: `Menos de 72 horas de aviso (${given}). El inicio más cercano posible es ${formatDateTime(earliest)} (${ZONE_LABEL}). Si no puede esperar, márquelo como emergencia y explique el motivo.`,
  };
}

function windowHint(input: WindowCheckInput, from: Date, until: Date): WindowHint {
  const maxHours = input.maxHours ?? DEFAULT_MAX_WINDOW_HOURS;
  const length = until.getTime() - from.getTime();
  const problem = windowProblem(from, until, maxHours);
  if (problem) return { tone: 'error', text: windowProblemMessage(problem, maxHours, formatDuration(length)) };
  if (isLowImpactWindow(from, until))
    return {
      tone: 'ok',
      text: `Dentro del horario de bajo impacto (00:00–04:00). Duración: ${formatDuration(length)}.`,
    };
  return {
    tone: 'warning',
    text: `Fuera del horario de bajo impacto (00:00–04:00, ${ZONE_LABEL}): se publicará marcado así. Duración: ${formatDuration(length)}.`,
  };
}
