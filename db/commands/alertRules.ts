import { z } from 'zod';
import type { Db } from '../client.ts';
import { alertModes } from '../enums.ts';
import {
  anchoredRegex,
  DEFAULT_HOLD_DOWN_MINUTES,
  DEFAULT_SEVERITIES,
  MAX_HOLD_DOWN_MINUTES,
  type AlertRule,
  type AlertRuleDocument,
} from '../domain/alerts.ts';
import { incidentTemplates } from '../domain/incidentTemplates.ts';
import { faultStatuses } from '../domain/rollup.ts';
import { componentCatalogue, resolveRefs } from '../queries/catalog.ts';
import { alertRuleSets } from '../schema/index.ts';
import { recordAudit } from './audit.ts';
import { CommandError, unknownRefs } from './errors.ts';
import { nameText, parseInput, refList } from './input.ts';
import { runCommand, type CommandContext } from './transaction.ts';

export const MAX_ALERT_RULES = 200;

const targetStatus = z.enum(faultStatuses, {
  error: 'Elija un estado de falla: degraded_performance, partial_outage o major_outage.',
});
/** Prometheus-style label names; Grafana's are the same. */
const labelName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,99}$/,
    'Nombre de etiqueta no válido: letras, números y «_», sin empezar por número (máximo 100).',
  );
const severityName = z
  .string()
  .trim()
  .min(1, 'Escriba la severidad.')
  .max(50, 'La severidad no puede pasar de 50 caracteres.');
const severities = z
  .record(severityName, targetStatus)
  .refine((m) => Object.keys(m).length <= 50, 'Hasta 50 severidades.')
  .transform((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.trim().toLowerCase(), v])));
const regexSource = z
  .string()
  .min(1, 'Escriba la expresión regular.')
  .max(500, 'La expresión no puede pasar de 500 caracteres.')
  .refine((source) => {
    try {
      anchoredRegex(source);
      return true;
    } catch {
      return false;
    }
  }, 'Expresión regular no válida.');
const templateId = z.enum(incidentTemplates.map((t) => t.id) as [string, ...string[]], {
  error: `Plantilla desconocida; use una de: ${incidentTemplates.map((t) => t.id).join(', ')}.`,
});

/** One NOC rule: label matchers → components, and what the alert's severity means for them. */
const ruleInput = z
  .strictObject({
    name: nameText('Dé un nombre a la regla, p. ej. «OLT Metepec».'),
    match: z.record(labelName, z.string().max(1000, 'El valor no puede pasar de 1,000 caracteres.')).optional(),
    match_re: z.record(labelName, regexSource).optional(),
    components: refList.optional(),
    mode: z
      .enum(alertModes, { error: 'El modo es automatic (cambia el estado) o propose (solo lo propone).' })
      .optional(),
    severities: severities.optional(),
    template: templateId.optional(),
  })
  .refine((r) => Object.keys(r.match ?? {}).length + Object.keys(r.match_re ?? {}).length > 0, {
    message:
      'Una regla necesita al menos una condición (match o match_re), p. ej. {"match": {"instance": "olt-metepec-1"}}.',
    path: ['match'],
  });

/**
 * The whole rule document of PUT /api/v1/alert-rules: the defaults (mode, hold-down time for
 * damping, severity → status) and the rules, tried in order; the first that matches decides.
 */
export const alertRulesInput = z.strictObject({
  default: z
    .strictObject({
      mode: z
        .enum(alertModes, { error: 'El modo es automatic (cambia el estado) o propose (solo lo propone).' })
        .optional(),
      hold_down_minutes: z
        .number({ error: 'Indique los minutos como número entero.' })
        .int('Indique los minutos como número entero.')
        .min(0, 'Mínimo 0 (sin amortiguación).')
        .max(MAX_HOLD_DOWN_MINUTES, `Máximo ${MAX_HOLD_DOWN_MINUTES} minutos.`)
        .optional(),
      severities: severities.optional(),
    })
    .optional(),
  rules: z
    .array(ruleInput, { error: 'Envíe «rules» como lista (puede estar vacía).' })
    .max(MAX_ALERT_RULES, `Hasta ${MAX_ALERT_RULES} reglas.`),
});
export type AlertRulesInput = z.input<typeof alertRulesInput>;

/** Replaces the NOC's alert rules as a whole. Component references are checked and kept as ids. */
export function replaceAlertRules(db: Db, raw: AlertRulesInput, { now, actor }: CommandContext): AlertRuleDocument {
  const input = parseInput(alertRulesInput, raw);
  return runCommand(db, () => {
    const catalogue = componentCatalogue(db);
    const seen = new Map<string, number>();
    const problems: Array<{ path: string; ref: string; message: string }> = [];
    const rules: AlertRule[] = input.rules.map((r, i) => {
      const key = r.name.toLowerCase();
      if (seen.has(key))
        throw new CommandError(422, 'validation_failed', `Dos reglas se llaman «${r.name}».`, [
          { path: `rules.${i}.name`, message: `Ya la usa la regla ${seen.get(key)! + 1}.` },
        ]);
      seen.set(key, i);
      const { found, unknown } = resolveRefs(catalogue, r.components ?? [], `rules.${i}.components`, 'any');
      problems.push(...unknown);
      return {
        name: r.name,
        match: r.match ?? {},
        matchRe: r.match_re ?? {},
        components: [
          ...new Set(found.map((f) => (f.entry.kind === 'component' ? f.entry.component.id : f.entry.group.id))),
        ],
        ...(r.mode ? { mode: r.mode } : {}),
        ...(r.severities ? { severities: r.severities } : {}),
        ...(r.template ? { template: r.template } : {}),
      };
    });
    if (problems.length) throw unknownRefs(problems);
    const document: AlertRuleDocument = {
      defaults: {
        mode: input.default?.mode ?? 'automatic',
        holdDownMinutes: input.default?.hold_down_minutes ?? DEFAULT_HOLD_DOWN_MINUTES,
        severities: input.default?.severities ?? { ...DEFAULT_SEVERITIES },
      },
      rules,
    };
    db.insert(alertRuleSets)
      .values({ id: 1, document: JSON.stringify(document), updatedAt: now, updatedBy: actor.name })
      .onConflictDoUpdate({
        target: alertRuleSets.id,
        set: { document: JSON.stringify(document), updatedAt: now, updatedBy: actor.name },
      })
      .run();
    recordAudit(db, actor, 'alert_rules.replace', { type: 'alert_rules', id: '1' }, now, {
      rules: rules.length,
      defaults: document.defaults,
    });
    return document;
  });
}
