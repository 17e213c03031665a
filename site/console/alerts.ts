// The console's alert pages: what the dashboard shows first (drafts with their SLA clock, alerts
// that need an eye), /noc/alertas (alerts and the webhooks as received) and /noc/alertas/reglas
// (the NOC's mapping rules). Rule changes go through replaceAlertRules, the same command as
// PUT /api/v1/alert-rules; this module turns form fields into that document and back.
import type { Db } from '#db/client.ts';
import { replaceAlertRules, type AlertRulesInput } from '#db/commands/alertRules.ts';
import { submitOnce } from '#db/commands/consoleForms.ts';
import { type AlertRule, type AlertRuleDocument } from '#db/domain/alerts.ts';
import { faultStatuses, type FaultStatus } from '#db/domain/rollup.ts';
import { incidentTemplates } from '#db/domain/incidentTemplates.ts';
import { alertModes, componentStatusLabels, type AlertMode } from '#db/enums.ts';
import {
  alertCounts,
  alertList,
  alertRuleDocument,
  componentCatalogue,
  incidentsWithAlertsResolved,
  openDraftsWithSla,
  recentAlertDeliveries,
  type AlertDeliveryView,
  type AlertView,
  type Catalogue,
  type OpenDraftSla,
} from '#db/queries/index.ts';
import { contextOf, field, formToken, refusal, type ConsoleRequest, type Redirect, unsavedStatus } from './action.ts';
import { randomToken } from './session.ts';

export interface AlertDashboard {
  drafts: OpenDraftSla[];
  counts: ReturnType<typeof alertCounts>;
  /** Open incidents whose alerts all resolved → when the last did: the dashboard points to the "En monitoreo" proposal. */
  allResolved: Map<string, Date>;
}

export function alertDashboard(db: Db, now: Date): AlertDashboard {
  return { drafts: openDraftsWithSla(db, now), counts: alertCounts(db), allResolved: incidentsWithAlertsResolved(db) };
}

export interface AlertsPageView {
  firing: AlertView[];
  unmatched: AlertView[];
  resolved: AlertView[];
  deliveries: AlertDeliveryView[];
}

/** /noc/alertas: firing alerts (unmatched ones first, in their own list), recent resolutions, the webhooks as received. */
export function alertsPage(db: Db): AlertsPageView {
  const catalogue = componentCatalogue(db);
  const firing = alertList(db, { status: 'firing', limit: 200 }, catalogue);
  return {
    unmatched: firing.filter((a) => a.effect === 'unmatched'),
    firing: firing.filter((a) => a.effect !== 'unmatched'),
    resolved: alertList(db, { status: 'resolved', limit: 50 }, catalogue),
    deliveries: recentAlertDeliveries(db, 20),
  };
}

// ---------------------------------------------------------------------------------------------
// Rules.

const modeLabels: Record<AlertMode, string> = { automatic: 'Automático', propose: 'Solo proponer' };

export interface RuleRow {
  index: number;
  name: string;
  conditions: string[];
  components: string[];
  mode: string;
  severities: string[];
  template: string | null;
}

export interface RuleFormValues {
  name: string;
  conditions: string;
  components: string[];
  mode: '' | AlertMode;
  severities: string;
  template: string;
}

export interface AlertRulesView {
  catalogue: Catalogue;
  document: AlertRuleDocument & { updatedAt: Date | null; updatedBy: string | null };
  rows: RuleRow[];
  defaults: { mode: AlertMode; holdDownMinutes: string; severities: string };
  rule: RuleFormValues;
  errors: Record<string, string>;
  idem: string;
  modes: Array<{ value: AlertMode; label: string }>;
  templates: Array<{ id: string; label: string }>;
}

/** "critical = major_outage" lines, the way the NOC reads and writes severities in the form. */
function severityLines(map: Record<string, FaultStatus>): string {
  return Object.entries(map)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
}

/** Lines "severidad = estado" into a map; what is not a line of that form stays as typed for the command to refuse. */
function parseSeverityLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [key, ...rest] = line.split('=');
    out[key.trim()] = rest.join('=').trim();
  }
  return out;
}

/** Conditions, one per line: `label=value` (exact) or `label=~regex` (anchored, like Alertmanager's). */
function parseConditions(text: string): {
  match: Record<string, string>;
  match_re: Record<string, string>;
  bad?: string;
} {
  const match: Record<string, string> = {};
  const matchRe: Record<string, string> = {};
  for (const line of text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)) {
    const m = /^([^=~\s]+)\s*(=~|=)\s*(.*)$/.exec(line);
    if (!m)
      return {
        match,
        match_re: matchRe,
        bad: `«${line}» no es una condición: escriba etiqueta=valor o etiqueta=~expresión.`,
      };
    if (m[2] === '=~') matchRe[m[1]] = m[3];
    else match[m[1]] = m[3];
  }
  return { match, match_re: matchRe };
}

function conditionLines(rule: AlertRule): string[] {
  return [
    ...Object.entries(rule.match).map(([k, v]) => `${k}=${v}`),
    ...Object.entries(rule.matchRe).map(([k, v]) => `${k}=~${v}`),
  ];
}

/** The stored document as the API's input, so a console change re-sends every other rule as it was. */
function asInput(doc: AlertRuleDocument): AlertRulesInput {
  return {
    default: {
      mode: doc.defaults.mode,
      hold_down_minutes: doc.defaults.holdDownMinutes,
      severities: doc.defaults.severities,
    },
    rules: doc.rules.map((r) => ({
      name: r.name,
      ...(Object.keys(r.match).length ? { match: r.match } : {}),
      ...(Object.keys(r.matchRe).length ? { match_re: r.matchRe } : {}),
      components: r.components,
      ...(r.mode ? { mode: r.mode } : {}),
      ...(r.severities ? { severities: r.severities } : {}),
      ...(r.template ? { template: r.template } : {}),
    })),
  };
}

const emptyRule = (): RuleFormValues => ({
  name: '',
  conditions: '',
  components: [],
  mode: '',
  severities: '',
  template: '',
});

/** Where a command's field error goes in the rule form. */
function ruleFormField(path: string, newIndex: number): string {
  const m = /^rules\.(\d+)\.(\w+)/.exec(path);
  if (m && Number(m[1]) === newIndex)
    return (
      (
        {
          match: 'conditions',
          match_re: 'conditions',
          components: 'components',
          severities: 'severities',
          mode: 'mode',
          template: 'template',
          name: 'name',
        } as Record<string, string>
      )[m[2]] ?? 'form'
    );
  if (path.startsWith('default.hold_down_minutes')) return 'holdDown';
  if (path.startsWith('default.severities')) return 'defaultSeverities';
  if (path.startsWith('default.mode')) return 'defaultMode';
  return path;
}

/**
 * /noc/alertas/reglas. Actions (field `accion`): `agregar` adds a rule at the end, `eliminar` /
 * `subir` remove or move one up (`regla` = its index), `predeterminados` saves the defaults.
 */
export function alertRulesPage(
  req: ConsoleRequest,
  form?: FormData,
): Redirect | { status: number; view: AlertRulesView } {
  const catalogue = componentCatalogue(req.db);
  const document = alertRuleDocument(req.db);
  const slugOf = (id: string) =>
    catalogue.byId.get(id)?.fullName ?? catalogue.groups.find((g) => g.id === id)?.name ?? id;
  const view: AlertRulesView = {
    catalogue,
    document,
    rows: document.rules.map((r, index) => ({
      index,
      name: r.name,
      conditions: conditionLines(r),
      components: r.components.map(slugOf),
      mode: r.mode ? modeLabels[r.mode] : `${modeLabels[document.defaults.mode]} (predeterminado)`,
      severities: Object.entries(r.severities ?? {}).map(([k, v]) => `${k} → ${componentStatusLabels[v]}`),
      template: incidentTemplates.find((t) => t.id === r.template)?.label ?? null,
    })),
    defaults: {
      mode: document.defaults.mode,
      holdDownMinutes: String(document.defaults.holdDownMinutes),
      severities: severityLines(document.defaults.severities),
    },
    rule: emptyRule(),
    errors: {},
    idem: randomToken(),
    modes: alertModes.map((value) => ({ value, label: modeLabels[value] })),
    templates: incidentTemplates.map((t) => ({ id: t.id, label: t.label })),
  };
  if (!form) return { status: 200, view };

  const action = field(form, 'accion');
  const input = asInput(document);
  let newIndex = -1;
  if (action === 'agregar') {
    view.rule = {
      name: field(form, 'nombre'),
      conditions: String(form.get('condiciones') ?? ''),
      components: form.getAll('componente').filter((v): v is string => typeof v === 'string'),
      mode: (alertModes as readonly string[]).includes(field(form, 'modo')) ? (field(form, 'modo') as AlertMode) : '',
      severities: String(form.get('severidades') ?? ''),
      template: field(form, 'plantilla'),
    };
    const conditions = parseConditions(view.rule.conditions);
    if (conditions.bad) view.errors.conditions = conditions.bad;
    newIndex = input.rules.length;
    input.rules.push({
      name: view.rule.name,
      ...(Object.keys(conditions.match).length ? { match: conditions.match } : {}),
      ...(Object.keys(conditions.match_re).length ? { match_re: conditions.match_re } : {}),
      components: view.rule.components,
      ...(view.rule.mode ? { mode: view.rule.mode } : {}),
      ...(view.rule.severities.trim()
        ? { severities: parseSeverityLines(view.rule.severities) as Record<string, FaultStatus> }
        : {}),
      ...(view.rule.template ? { template: view.rule.template } : {}),
    });
  } else if (action === 'eliminar' || action === 'subir') {
    const index = Number(field(form, 'regla'));
    if (!Number.isInteger(index) || index < 0 || index >= input.rules.length)
      view.errors.form = 'Esa regla ya no existe; recargue la página.';
    else if (action === 'eliminar') input.rules.splice(index, 1);
    else if (index > 0) [input.rules[index - 1], input.rules[index]] = [input.rules[index], input.rules[index - 1]];
  } else if (action === 'predeterminados') {
    const minutes = field(form, 'amortiguacion');
    view.defaults = {
      mode: (field(form, 'modo_predeterminado') as AlertMode) || document.defaults.mode,
      holdDownMinutes: minutes,
      severities: String(form.get('severidades_predeterminadas') ?? ''),
    };
    input.default = {
      mode: field(form, 'modo_predeterminado') as AlertMode,
      hold_down_minutes: /^\d+$/.test(minutes) ? Number(minutes) : (minutes as unknown as number),
      severities: parseSeverityLines(view.defaults.severities) as Record<string, FaultStatus>,
    };
  } else {
    view.errors.form = 'Acción desconocida.';
  }
  let refused: unknown;
  if (Object.keys(view.errors).length === 0) {
    try {
      const { location } = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        replaceAlertRules(req.db, input, contextOf(req));
        return `/noc/alertas/reglas?aviso=${action === 'agregar' ? 'agregada' : action === 'eliminar' ? 'eliminada' : 'guardado'}`;
      });
      return { redirect: location };
    } catch (err) {
      refused = err;
      view.errors = refusal(err, (p) => ruleFormField(p, newIndex));
    }
  }
  const sent = formToken(form);
  if (sent) view.idem = sent;
  return { status: unsavedStatus(refused), view };
}

export const targetStatusOptions = faultStatuses.map((s) => ({ value: s, label: componentStatusLabels[s] }));
