// Maintenance policy from the customer manual, section 4.2, as pure functions of instants.
import { maintenanceStatusLabels, type MaintenanceStatus, type MaintenanceUpdateKind } from '../enums.ts';
import { zonedMidnight, zonedParts } from './time.ts';

const HOUR = 3_600_000;

/**
 * A window is in progress while it runs and while the NOC verifies the work afterwards: it holds
 * its components (alerts on them change nothing public) and the page says «En mantenimiento».
 */
export const WINDOW_IN_PROGRESS = ['in_progress', 'verifying'] as const satisfies readonly MaintenanceStatus[];

export function isWindowInProgress(status: MaintenanceStatus): boolean {
  return (WINDOW_IN_PROGRESS as readonly MaintenanceStatus[]).includes(status);
}

/** "Se notificarán con al menos 72 horas de anticipación". */
export const MIN_NOTICE_MS = 72 * HOUR;
/** The reminder goes out this long before the window starts. */
export const REMINDER_BEFORE_MS = 24 * HOUR;
/** Low-impact hours: 00:00–04:00 America/Mexico_City. */
export const LOW_IMPACT_END_HOUR = 4;
export const DEFAULT_MAX_WINDOW_HOURS = 12;
/** Clock skew tolerated between the NOC's machine and ours for "starts now" (commands and console hints). */
export const PAST_TOLERANCE_MS = 60_000;

/**
 * What can no longer change once a window has begun, with the reason the NOC is given. Its end,
 * texts, impact and emergency label still can. The command refuses these; the console does not
 * offer them.
 */
export const LOCKED_ONCE_STARTED = {
  scheduledFor: 'El mantenimiento ya comenzó: solo puede cambiarse la hora de término.',
  components: 'El mantenimiento ya comenzó: sus componentes no pueden cambiarse.',
  autoTransition: 'El mantenimiento ya comenzó: auto_transition no puede cambiarse.',
} as const;
export type LockedOnceStarted = keyof typeof LOCKED_ONCE_STARTED;

/**
 * True when the whole window lies inside 00:00–04:00 local time of the day it starts on.
 * A window crossing midnight (23:00–02:00) starts outside those hours, so it is not.
 */
export function isLowImpactWindow(start: Date, end: Date): boolean {
  if (end.getTime() <= start.getTime()) return false;
  const p = zonedParts(start);
  const dayStart = zonedMidnight(p.year, p.month, p.day).getTime();
  return start.getTime() >= dayStart && end.getTime() <= dayStart + LOW_IMPACT_END_HOUR * HOUR;
}

/**
 * What is wrong with a window's times, if anything: the command refuses it and the console's
 * hint says it as the NOC types, from this one function.
 */
export function windowProblem(
  start: Date,
  end: Date,
  maxHours: number = DEFAULT_MAX_WINDOW_HOURS,
): 'ends_before_start' | 'too_long' | null {
  const length = end.getTime() - start.getTime();
  if (length <= 0) return 'ends_before_start';
  if (length > maxHours * HOUR) return 'too_long';
  return null;
}

/**
 * What the NOC reads about a window's problem: the command's refusal and the console's hint
 * as the NOC types say the same sentence. `length` (e.g. "13 h"), when given, is added to the
 * too-long one.
 */
export function windowProblemMessage(
  problem: 'ends_before_start' | 'too_long',
  maxHours: number,
  length?: string,
): string {
  if (problem === 'ends_before_start') return 'La hora de término debe ser posterior a la de inicio.';
  return `La ventana no puede durar más de ${maxHours} horas${length ? ` (dura ${length})` : ''}; divida el trabajo en varias ventanas.`;
}

/**
 * How far ahead a window may be scheduled: two years. Every month from now to a window's month
 * is published (calendars, history); a window in 2099 once made a publish write 871 pages.
 */
export const MAX_SCHEDULE_AHEAD_YEARS = 2;

/** The latest start a window may have when scheduled at `now`. */
export function latestWindowStart(now: Date): Date {
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + MAX_SCHEDULE_AHEAD_YEARS);
  return limit;
}

/** A start already past (beyond the clock skew tolerated): refused, emergency or not. */
export function startsInPast(now: Date, start: Date): boolean {
  return start.getTime() < now.getTime() - PAST_TOLERANCE_MS;
}

/** Notice given: time from publication to the start of the window. */
export function noticeMs(publishedAt: Date, start: Date): number {
  return start.getTime() - publishedAt.getTime();
}

export function hasEnoughNotice(publishedAt: Date, start: Date): boolean {
  return noticeMs(publishedAt, start) >= MIN_NOTICE_MS;
}

/** "5 días y 3 h de anticipación" — the notice shown next to each window. */
export function formatNotice(ms: number): string {
  if (ms <= 0) return 'sin anticipación';
  const hours = Math.floor(ms / HOUR);
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  if (days === 0) return hours === 0 ? 'menos de 1 hora de anticipación' : `${hours} h de anticipación`;
  const d = `${days} ${days === 1 ? 'día' : 'días'}`;
  return `${rest ? `${d} y ${rest} h` : d} de anticipación`;
}

/**
 * The window as it stood at instant `at`: every reschedule made after `at` is undone (changes
 * come newest first, so the last one undone is the earliest after `at`).
 */
export function windowAt(
  current: { scheduledFor: Date; scheduledUntil: Date },
  changesNewestFirst: Array<{ at: Date; previousFor: Date; previousUntil: Date }>,
  at: Date,
): { scheduledFor: Date; scheduledUntil: Date } {
  let window = { scheduledFor: current.scheduledFor, scheduledUntil: current.scheduledUntil };
  for (const change of changesNewestFirst) {
    if (change.at.getTime() > at.getTime())
      window = { scheduledFor: change.previousFor, scheduledUntil: change.previousUntil };
  }
  return window;
}

/** The heading of a window wherever it is named alone (page title, calendar event, feeds). */
/**
 * The window's title on its page and in calendars (ICS SUMMARY). A cancelled window says so
 * first: a calendar that shows only the SUMMARY must not keep saying "programado".
 */
export function maintenanceTitle(m: { emergency: boolean; name: string; status: MaintenanceStatus }): string {
  if (m.status === 'cancelled')
    return `${m.emergency ? 'Mantenimiento de emergencia cancelado' : 'Mantenimiento cancelado'}: ${m.name}`;
  return `${m.emergency ? 'Mantenimiento de emergencia' : 'Mantenimiento programado'}: ${m.name}`;
}

/**
 * The label of one notice in a window's timeline, the same on its page and in the feeds: its
 * status (the announcement says "Programado"), except a reschedule, which says so.
 */
export function maintenanceNoticeLabel(update: { kind: MaintenanceUpdateKind; status: MaintenanceStatus }): string {
  return update.kind === 'rescheduled' ? 'Reprogramado' : maintenanceStatusLabels[update.status];
}
