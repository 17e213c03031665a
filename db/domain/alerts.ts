// Alert intake rules as pure functions: which NOC rule an alert matches, the component status
// its severity means, what one notice does to an alert's episode (alertTransition), damping, and
// what a draft says. The commands (db/commands/alerts/) apply them inside their transaction; the
// console shows the same decisions. An alert may only mean a fault (db/domain/rollup.ts
// `faultStatuses`): operational and maintenance are not news an alert brings.
import {
  componentStatusShortLabels,
  type AlertEffect,
  type AlertMode,
  type AlertStatus,
  type ComponentStatus,
  type IncidentStatus,
} from '../enums.ts';
import { incidentTemplate, type IncidentTemplate } from './incidentTemplates.ts';
import { faultStatuses, worstStatus, type FaultStatus } from './rollup.ts';

/**
 * What each severity means when no rule says otherwise: critical → total outage,
 * major/high → partial, warning/minor → degraded. Zabbix's own scale is added (disaster, average)
 * so its webhook works without rules. Keys are compared in lower case.
 */
export const DEFAULT_SEVERITIES: Readonly<Record<string, FaultStatus>> = {
  critical: 'major_outage',
  disaster: 'major_outage',
  major: 'partial_outage',
  high: 'partial_outage',
  warning: 'degraded_performance',
  minor: 'degraded_performance',
  average: 'degraded_performance',
};

/** An alert that resolves and fires again within this time is flapping (default 5 min). */
export const DEFAULT_HOLD_DOWN_MINUTES = 5;
export const MAX_HOLD_DOWN_MINUTES = 120;
/** Later alerts of the same outage (same area) join an open draft within this time of its last alert. */
export const DRAFT_JOIN_WINDOW_MS = 15 * 60_000;

/**
 * A firing alert that nobody sent again for this long may be stale: its sender stopped, or lost
 * the resolution (Alertmanager resends an unchanged group only every repeat_interval, 4 h by
 * default; Zabbix never resends). The console flags it; nothing changes by itself, since a
 * false "Operativo" is worse than a red a person can clear (a manual change holds).
 */
export const STALE_AFTER_MS = 12 * 60 * 60_000;

export function isStale(alert: { status: string; lastReceivedAt: Date }, now: Date): boolean {
  return alert.status === 'firing' && now.getTime() - alert.lastReceivedAt.getTime() > STALE_AFTER_MS;
}

/** Annotation (or label) that names the status explicitly, and one that names the Spanish template. */
export const STATUS_ANNOTATION = 'status_page_status';
export const TEMPLATE_ANNOTATION = 'status_page_template';
/** The label that names the component (or area) by slug or id; a comma separates several. */
export const COMPONENT_LABEL = 'component';

export interface AlertRule {
  name: string;
  /** Label → exact value; every one must hold. */
  match: Record<string, string>;
  /** Label → regular expression, anchored at both ends like Alertmanager's `match_re`. */
  matchRe: Record<string, string>;
  /** Component ids (an area given in the rule is stored expanded); empty: the alert's own `component` label decides. */
  components: string[];
  mode?: AlertMode;
  /** Severity → status, over the defaults'. */
  severities?: Record<string, FaultStatus>;
  /** An incident template id (db/domain/incidentTemplates.ts) for the draft. */
  template?: string;
}

export interface AlertRuleDocument {
  defaults: { mode: AlertMode; holdDownMinutes: number; severities: Record<string, FaultStatus> };
  rules: AlertRule[];
}

/** The hold-down time of a rule document in milliseconds: damping, settling and their clock read this. */
export function holdDownMs(rules: Pick<AlertRuleDocument, 'defaults'>): number {
  return rules.defaults.holdDownMinutes * 60_000;
}

/** What a database without rules uses: alerts naming their component change its status at once. */
export function defaultRuleDocument(): AlertRuleDocument {
  return {
    defaults: { mode: 'automatic', holdDownMinutes: DEFAULT_HOLD_DOWN_MINUTES, severities: { ...DEFAULT_SEVERITIES } },
    rules: [],
  };
}

/** Alertmanager anchors `match_re` expressions (`^(?:re)$`); so do we. */
export function anchoredRegex(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, 'u');
}

/** The first rule whose every matcher holds on the labels, or undefined. */
export function matchingRule(
  rules: readonly AlertRule[],
  labels: Readonly<Record<string, string>>,
): AlertRule | undefined {
  return rules.find(
    (rule) =>
      Object.entries(rule.match).every(([k, v]) => (labels[k] ?? '') === v) &&
      Object.entries(rule.matchRe).every(([k, re]) => anchoredRegex(re).test(labels[k] ?? '')),
  );
}

/** Component references an alert's `component` label carries ("metepec-fibra", "metepec, lerma"). */
export function componentRefsFromLabels(labels: Readonly<Record<string, string>>): string[] {
  return (labels[COMPONENT_LABEL] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const isFaultName = (v: string): v is FaultStatus => (faultStatuses as readonly string[]).includes(v);

export interface StatusDecision {
  status: FaultStatus | null;
  /** Why there is no status, or why an explicit one was ignored. */
  note?: string;
}

/**
 * The status an alert means: the annotation `status_page_status` when it names one of the
 * outage statuses, else its severity through the rule's map over the defaults'.
 */
export function statusForAlert(
  alert: {
    severity: string | null;
    annotations: Readonly<Record<string, string>>;
    labels: Readonly<Record<string, string>>;
  },
  severities: Readonly<Record<string, FaultStatus>>,
): StatusDecision {
  const explicit = (alert.annotations[STATUS_ANNOTATION] ?? alert.labels[STATUS_ANNOTATION])?.trim();
  let note: string | undefined;
  if (explicit) {
    if (isFaultName(explicit)) return { status: explicit };
    note = `${STATUS_ANNOTATION} «${explicit}» no es un estado de falla (${faultStatuses.join(', ')}); se usó la severidad.`;
  }
  const severity = alert.severity?.trim().toLowerCase();
  if (!severity)
    return { status: null, note: note ?? 'La alerta no indica severidad: se registra sin cambiar el estado.' };
  const status = severities[severity];
  if (status) return { status, ...(note ? { note } : {}) };
  return {
    status: null,
    note: `${note ? `${note} ` : ''}La severidad «${alert.severity}» no corresponde a ningún estado: se registra sin cambiar el estado.`,
  };
}

/** While an alert flaps, the page says "Intermitencia" (partial outage) rather than flipping between down and up. */
export function flapStatus(status: FaultStatus): FaultStatus {
  return status === 'major_outage' ? 'partial_outage' : status;
}

/** Who sent an alert, as its delivery and the audit name it: "alertmanager/somnet-estado", or a generic `source`. */
export function senderName(sender: { source: string; receiver: string | null }): string {
  return sender.receiver ? `${sender.source}/${sender.receiver}` : sender.source;
}

// ---------------------------------------------------------------------------------------------
// One alert's episode.

/** What the rules made of an alert (recorded on its episode): its components and the status it means there. */
export interface AlertEvaluation {
  componentIds: readonly string[];
  /** Those of its components a maintenance in progress holds. */
  suppressedIds: readonly string[];
  proposedStatus: FaultStatus | null;
  mode: AlertMode;
  effect: AlertEffect;
}

/**
 * What an alert does: names no component of the catalogue, means no status, is held by a
 * maintenance on every component, or changes (or only proposes) the status of the rest.
 */
export function alertEffect(
  decision: { componentIds: readonly string[]; status: FaultStatus | null; mode: AlertMode },
  suppressed: number,
): AlertEffect {
  if (decision.componentIds.length === 0) return 'unmatched';
  if (!decision.status) return 'no_status';
  if (suppressed === decision.componentIds.length) return 'suppressed';
  return decision.mode === 'automatic' ? 'automatic' : 'proposed';
}

/**
 * The statuses an alert imposes now, by component: none unless it is automatic and still holds
 * (firing, or resolved while flapping); a flapping alert imposes «Intermitencia» at most.
 */
export function alertContribution(
  alert: Pick<AlertEvaluation, 'componentIds' | 'suppressedIds' | 'effect' | 'proposedStatus'> & {
    status: AlertStatus;
    flapping: boolean;
  },
): Map<string, FaultStatus> {
  const out = new Map<string, FaultStatus>();
  if (alert.effect !== 'automatic' || !alert.proposedStatus || (alert.status !== 'firing' && !alert.flapping))
    return out;
  const status = alert.flapping ? flapStatus(alert.proposedStatus) : alert.proposedStatus;
  const held = new Set(alert.suppressedIds);
  for (const id of alert.componentIds) if (!held.has(id)) out.set(id, status);
  return out;
}

/** When a flapping alert settles: the hold-down after it last fired (still firing) or resolved. */
export function flapSettlesAt(
  alert: { status: AlertStatus; lastFiredAt: Date; resolvedAt: Date | null },
  holdMs: number,
): Date {
  const since = alert.status === 'firing' ? alert.lastFiredAt : (alert.resolvedAt ?? alert.lastFiredAt);
  return new Date(since.getTime() + holdMs);
}

export type AlertChange = 'fired' | 'refired' | 'resolved' | 'reevaluated' | 'resent' | 'ignored';

/** The audit action of each change; a resent or ignored notice changes nothing worth a row. */
export const alertAuditAction = {
  fired: 'alert.fire',
  refired: 'alert.refire',
  resolved: 'alert.resolve',
  reevaluated: 'alert.reevaluate',
  resent: null,
  ignored: null,
} as const satisfies Record<AlertChange, string | null>;

/** One notice about an alert, as its sender states it. */
export interface AlertNotice {
  status: AlertStatus;
  /** Null when a generic sender gives none (the time we receive it stands in). */
  startsAt: Date | null;
  endsAt: Date | null;
}

/** An episode's state: its times and damping. Its facts (labels, summary…) and evaluation are the latest notice's. */
export interface EpisodeState {
  status: AlertStatus;
  startsAt: Date;
  endsAt: Date | null;
  resolvedAt: Date | null;
  firstReceivedAt: Date;
  lastReceivedAt: Date;
  lastFiredAt: Date;
  flapping: boolean;
  flapCount: number;
}

/** The latest stored episode of an alert (one source + fingerprint), as a transition reads it. */
export type AlertEpisode = AlertEvaluation &
  Pick<EpisodeState, 'status' | 'startsAt' | 'endsAt' | 'resolvedAt' | 'flapCount'>;

/** What a notice does to an alert's episodes. */
export type AlertTransition =
  /** A new episode, with the notice's facts and evaluation. */
  | { change: 'fired' | 'resolved'; write: 'insert'; episode: EpisodeState }
  /** The latest episode takes the notice's facts and evaluation, and these changes. */
  | { change: 'refired' | 'resolved' | 'reevaluated' | 'resent'; write: 'update'; set: Partial<EpisodeState> }
  /** Only the time of receipt moves: the notice repeats or predates what is known. */
  | { change: 'resent' | 'ignored'; write: 'touch'; set: Pick<EpisodeState, 'lastReceivedAt'> };

const sameIds = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function sameEvaluation(a: AlertEvaluation, b: AlertEvaluation): boolean {
  return (
    sameIds(a.componentIds, b.componentIds) &&
    sameIds(a.suppressedIds, b.suppressedIds) &&
    a.proposedStatus === b.proposedStatus &&
    a.effect === b.effect &&
    a.mode === b.mode
  );
}

/**
 * What one notice does to an alert, from its latest episode (if any), the notice, what the rules
 * make of it now, the hold-down time and the time we receive it:
 * - firing, nothing known: a new episode (fired);
 * - firing, already firing: the same episode, resent, or reevaluated when the rules' answer changed;
 * - firing after it resolved: ignored when the notice is the old one arriving late (its start is not
 *   after the resolution); the same episode fired again and flapping within the hold-down
 *   (refired); else a new outage (fired);
 * - resolved, firing: resolved; resolved, nothing known: recorded resolved (we missed the firing:
 *   the NOC sees it, nothing else changes); resolved again: resent.
 */
export function alertTransition(
  latest: AlertEpisode | undefined,
  notice: AlertNotice,
  evaluation: AlertEvaluation,
  holdMs: number,
  now: Date,
): AlertTransition {
  const episode = (status: AlertStatus): EpisodeState => ({
    status,
    startsAt: notice.startsAt ?? now,
    endsAt: status === 'resolved' ? (notice.endsAt ?? now) : null,
    resolvedAt: status === 'resolved' ? now : null,
    firstReceivedAt: now,
    lastReceivedAt: now,
    lastFiredAt: now,
    flapping: false,
    flapCount: 0,
  });
  const touch = (change: 'resent' | 'ignored'): AlertTransition => ({
    change,
    write: 'touch',
    set: { lastReceivedAt: now },
  });

  if (notice.status === 'resolved') {
    if (!latest) return { change: 'resolved', write: 'insert', episode: episode('resolved') };
    if (latest.status === 'resolved') return touch('resent');
    return {
      change: 'resolved',
      write: 'update',
      set: { status: 'resolved', endsAt: notice.endsAt ?? now, resolvedAt: now, lastReceivedAt: now },
    };
  }
  if (!latest) return { change: 'fired', write: 'insert', episode: episode('firing') };
  if (latest.status === 'firing')
    return {
      change: sameEvaluation(latest, evaluation) ? 'resent' : 'reevaluated',
      write: 'update',
      set: { lastReceivedAt: now },
    };
  const late =
    notice.startsAt !== null &&
    (notice.startsAt.getTime() === latest.startsAt.getTime() ||
      (latest.endsAt !== null && notice.startsAt.getTime() <= latest.endsAt.getTime()));
  if (late) return touch('ignored');
  if (holdMs > 0 && latest.resolvedAt && now.getTime() - latest.resolvedAt.getTime() <= holdMs)
    return {
      change: 'refired',
      write: 'update',
      set: {
        status: 'firing',
        endsAt: null,
        resolvedAt: null,
        flapping: true,
        flapCount: latest.flapCount + 1,
        lastFiredAt: now,
        lastReceivedAt: now,
      },
    };
  return { change: 'fired', write: 'insert', episode: episode('firing') };
}

// ---------------------------------------------------------------------------------------------
// Drafts: what monitoring saw, and nothing more.

/** An alert as its words are read for a draft. */
export interface AlertWords {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  summary: string | null;
  description: string | null;
}

/**
 * The template an alert names: its rule's, else its `status_page_template` annotation (or label).
 * Only a named template gives a draft a status beyond «Investigando» and a cause.
 */
export function namedTemplate(
  alert: Pick<AlertWords, 'labels' | 'annotations'>,
  ruleTemplate?: string,
): IncidentTemplate | undefined {
  return (
    incidentTemplate(ruleTemplate) ??
    incidentTemplate(alert.annotations[TEMPLATE_ANNOTATION] ?? alert.labels[TEMPLATE_ANNOTATION])
  );
}

/** An alert's words in lower case without accents, its name split ("OltPonSinLuz" → "olt pon sin luz"). */
function plainWords(alert: AlertWords): string {
  const name = (alert.labels.alertname ?? '').replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return [name, alert.summary, alert.description]
    .filter(Boolean)
    .join(' ')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

// What monitoring measures, in a customer's words (English and Spanish, accents removed). They
// name the measurement, never a cause: the words of a device («OLT», «PON») say where, not what.
const MEASUREMENTS: ReadonlyArray<[string, RegExp]> = [
  ['pérdida de paquetes', /packet ?loss|perdida de paquetes|paquetes perdidos/],
  ['latencia alta', /latenc|round ?trip|\brtt\b/],
  ['variación de latencia (jitter)', /\bjitter\b/],
  ['saturación', /saturac|congest|utili[sz]ation|ancho de banda|bandwidth|throughput/],
  ['pérdida de señal óptica', /loss of signal|sin luz|sin senal optica|potencia optica|optical power|rx power/],
  [
    'sin energía',
    /sin energia|sin suministro|power (?:fail|loss|down|outage)|\bmains\b|bateria|battery|voltaje|voltage/,
  ],
  ['sesión BGP caída', /\bbgp\b/],
  ['errores en la interfaz', /\bcrc\b|interface errors|errores de (?:la )?interfaz/],
  [
    'sin respuesta',
    /unreachable|inalcanzable|no responde|sin respuesta|\bdown\b|caid[oa]|ping fail|probe fail|timeout/,
  ],
];

/** What one alert measured («pérdida de paquetes»), or null when its words name no measurement. */
export function measureOf(alert: AlertWords): string | null {
  const text = plainWords(alert);
  return MEASUREMENTS.find(([, re]) => re.test(text))?.[0] ?? null;
}

/** What the alerts measured, at most two things («pérdida de paquetes», «latencia alta»), or null. */
export function measuredFault(alerts: Iterable<AlertWords>): string | null {
  const found: string[] = [];
  for (const alert of alerts) {
    const measure = measureOf(alert);
    if (measure && !found.includes(measure)) found.push(measure);
    // Two named and a third: the title is decided.
    if (found.length > 2) break;
  }
  if (found.length === 0) return null;
  return found.length <= 2 ? found.join(' y ') : `${found.slice(0, 2).join(', ')} y más`;
}

// Words that point to one of the templates (English and Spanish, accents removed): enough to
// *offer* it to the NOC in the composer, never to write a cause for them.
const TEMPLATE_HINTS: ReadonlyArray<[string, RegExp]> = [
  ['ddos', /\bddos\b|denial of service|denegacion|syn ?flood|\bflood/],
  ['seguridad', /securi|segurid|intrusi|breach|brute ?force|malware/],
  ['falla-electrica', /\bpower\b|energia|electric|\bups\b|bateri|battery|mains|voltage|voltaje|generador|generator/],
  ['proveedor-transito', /\bbgp\b|transit|transito|upstream|peering/],
  [
    'saturacion',
    /saturac|congest|bandwidth|ancho de banda|utili[sz]ation|latenc|jitter|packet ?loss|perdida de paquetes|throughput|lentitud/,
  ],
  ['corte-fibra', /corte de fibra|fibra cortada|fib(?:er|re) cut|cable cut|loss of signal|sin luz|sin senal optica/],
];

/** A template the alerts' words suggest, to offer in the composer (one click applies it); null when none fits. */
export function suggestedTemplate(alerts: Iterable<AlertWords>): IncidentTemplate | undefined {
  for (const alert of alerts) {
    const text = plainWords(alert);
    for (const [id, hint] of TEMPLATE_HINTS) if (hint.test(text)) return incidentTemplate(id);
  }
  return undefined;
}

/** A draft's title, status and cause. */
export interface DraftWords {
  name: string;
  status: IncidentStatus;
  cause: string | null;
}

/**
 * What a draft says before a person reads it. With a template its alerts name: the template's
 * title for the place («Corte de fibra óptica en Metepec»), status and cause. Otherwise only what is
 * known: «Investigando», no cause, titled from where and what was measured («Falla detectada en
 * San Mateo Atenco · Fibra óptica: pérdida de paquetes»; the status the alerts mean when no
 * measurement is recognised).
 */
export function draftWords(input: {
  template: IncidentTemplate | undefined;
  where: string;
  statuses: Iterable<ComponentStatus>;
  alerts: Iterable<AlertWords>;
}): DraftWords {
  const { template, where } = input;
  if (template)
    return {
      name: where ? `${template.name} en ${where}` : template.name,
      status: template.status,
      cause: template.cause,
    };
  const what = measuredFault(input.alerts) ?? componentStatusShortLabels[worstStatus(input.statuses)].toLowerCase();
  return {
    name: `${where ? `Falla detectada en ${where}` : 'Falla detectada'}: ${what}`,
    status: 'investigating',
    cause: null,
  };
}

/** Where an outage is, for a title: one component by its full name, several by their areas. */
export function placeName(
  components: ReadonlyArray<{ fullName: string; groupName: string | null; name: string }>,
): string {
  if (components.length === 1) return components[0].fullName;
  const places = [...new Set(components.map((c) => c.groupName ?? c.name))];
  return places.length <= 1 ? (places[0] ?? '') : `${places.slice(0, -1).join(', ')} y ${places.at(-1)}`;
}

/** The first message when the alert says nothing a customer could read. */
export function defaultDraftBody(where: string): string {
  return `Nuestro monitoreo detectó una falla que afecta ${where}. Estamos investigando la causa y publicaremos el tiempo estimado de restauración en cuanto lo tengamos.`;
}

/** When the incident a draft becomes starts: its first alert's start, never later than now. */
export function draftIncidentStart(draft: { startedAt: Date }, now: Date): Date {
  return draft.startedAt.getTime() > now.getTime() ? now : draft.startedAt;
}
