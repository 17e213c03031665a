// Alert intake rules as pure functions: which NOC rule an alert matches, the component status
// its severity means, damping, and the Spanish draft it opens. The commands (db/commands/alerts.ts)
// apply them inside their transaction; the console shows the same decisions.
import { componentStatusShortLabels, type AlertMode, type ComponentStatus, type IncidentImpact } from '../enums.ts';
import { incidentTemplate, incidentTemplates, type IncidentTemplate } from './incidentTemplates.ts';
import { worstStatus } from './rollup.ts';

/** The statuses an alert may mean: something is wrong. (Operational and maintenance are not news an alert brings.) */
export const alertTargetStatuses = ['degraded_performance', 'partial_outage', 'major_outage'] as const;
export type AlertTargetStatus = (typeof alertTargetStatuses)[number];

/**
 * What each severity means when no rule says otherwise (issue 11): critical → total outage,
 * major/high → partial, warning/minor → degraded. Zabbix's own scale is added (disaster, average)
 * so its webhook works without rules. Keys are compared in lower case.
 */
export const DEFAULT_SEVERITIES: Readonly<Record<string, AlertTargetStatus>> = {
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
  severities?: Record<string, AlertTargetStatus>;
  /** An incident template id (db/domain/incidentTemplates.ts) for the draft. */
  template?: string;
}

export interface AlertRuleDocument {
  defaults: { mode: AlertMode; holdDownMinutes: number; severities: Record<string, AlertTargetStatus> };
  rules: AlertRule[];
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

export interface StatusDecision {
  status: AlertTargetStatus | null;
  /** Why there is no status, or why an explicit one was ignored. */
  note?: string;
}

const isTarget = (v: string): v is AlertTargetStatus => (alertTargetStatuses as readonly string[]).includes(v);

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
  severities: Readonly<Record<string, AlertTargetStatus>>,
): StatusDecision {
  const explicit = (alert.annotations[STATUS_ANNOTATION] ?? alert.labels[STATUS_ANNOTATION])?.trim();
  let note: string | undefined;
  if (explicit) {
    if (isTarget(explicit)) return { status: explicit };
    note = `${STATUS_ANNOTATION} «${explicit}» no es un estado de falla (${alertTargetStatuses.join(', ')}); se usó la severidad.`;
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
export function flapStatus(status: AlertTargetStatus): AlertTargetStatus {
  return status === 'major_outage' ? 'partial_outage' : status;
}

/** The criticidad a set of statuses implies (the same scale the incident commands use). */
export function impactForStatuses(statuses: Iterable<ComponentStatus>): IncidentImpact {
  const worst = worstStatus(statuses);
  if (worst === 'major_outage') return 'critical';
  if (worst === 'partial_outage') return 'major';
  if (worst === 'degraded_performance') return 'minor';
  return 'none';
}

// Words monitoring uses for each template's kind of failure (English and Spanish, accents removed).
const TEMPLATE_HINTS: ReadonlyArray<[string, RegExp]> = [
  ['ddos', /\bddos\b|denial of service|denegacion|syn ?flood|\bflood/],
  ['seguridad', /securi|segurid|intrusi|breach|brute ?force|malware/],
  ['falla-electrica', /\bpower\b|energia|electric|\bups\b|bateri|battery|mains|voltage|voltaje|generador|generator/],
  ['proveedor-transito', /\bbgp\b|transit|transito|upstream|peering|\bisp\b/],
  ['corte-fibra', /fibra|fiber|fibre|\blos\b|loss of signal|optic|\bolt\b|\bonu\b|\bpon\b/],
  [
    'saturacion',
    /saturac|congest|bandwidth|ancho de banda|utili[sz]ation|latenc|jitter|packet ?loss|perdida de paquetes|throughput|lentitud/,
  ],
];

function plain(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/**
 * The Spanish template for an alert: the one its rule or its `status_page_template` annotation
 * names, else the first whose words appear in the alert's name, summary or description.
 */
export function templateForAlert(
  alert: {
    labels: Readonly<Record<string, string>>;
    annotations: Readonly<Record<string, string>>;
    summary: string | null;
    description: string | null;
  },
  ruleTemplate?: string,
): IncidentTemplate | undefined {
  const named =
    incidentTemplate(ruleTemplate) ??
    incidentTemplate(alert.annotations[TEMPLATE_ANNOTATION] ?? alert.labels[TEMPLATE_ANNOTATION]);
  if (named) return named;
  const text = plain([alert.labels.alertname, alert.summary, alert.description].filter(Boolean).join(' '));
  for (const [id, hint] of TEMPLATE_HINTS) if (hint.test(text)) return incidentTemplates.find((t) => t.id === id);
  return undefined;
}

/** "Corte de fibra óptica en Metepec" / "Sin servicio en Metepec · Fibra óptica". */
export function draftTitle(template: IncidentTemplate | undefined, worst: ComponentStatus, where: string): string {
  const what = template?.name ?? componentStatusShortLabels[worst];
  return where ? `${what} en ${where}` : what;
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
