// Alert intake, step 2: what the NOC's rules make of one alert, before its history is looked at —
// its components (the rule's, else its `component` label), the status its severity means, whether
// that status is applied or only proposed, the template it names, and what holds its components.
import {
  alertEffect,
  matchingRule,
  namedTemplate,
  statusForAlert,
  type AlertEvaluation,
  type AlertRuleDocument,
} from '../../domain/alerts.ts';
import { expandedComponentIds, findInCatalogue, type Catalogue } from '../../queries/catalog.ts';
import { windowHolding, type ComponentHolder } from '../../queries/holders.ts';
import type { IncomingAlert } from './intake.ts';

export interface Judgement {
  evaluation: AlertEvaluation;
  ruleName: string | null;
  unmatchedRefs: string[];
  /** Only a template the rule or the alert names; a guess from its words is never stored. */
  templateId: string | null;
  /** Why the effect is what it is, for the NOC. */
  note: string | null;
}

export function evaluateAlert(
  alert: Pick<IncomingAlert, 'labels' | 'annotations' | 'severity' | 'refs'>,
  rules: AlertRuleDocument,
  catalogue: Catalogue,
  holders: ReadonlyMap<string, readonly ComponentHolder[]>,
): Judgement {
  const rule = matchingRule(rules.rules, alert.labels);
  const refs = rule && rule.components.length > 0 ? rule.components : alert.refs;
  const found: Parameters<typeof expandedComponentIds>[0] = [];
  const unmatchedRefs: string[] = [];
  for (const r of refs) {
    const entry = findInCatalogue(catalogue, r);
    if (entry) found.push({ path: '', ref: r, entry });
    else unmatchedRefs.push(r);
  }
  const componentIds = expandedComponentIds(found);
  const mode = rule?.mode ?? rules.defaults.mode;
  const { status, note } = statusForAlert(alert, { ...rules.defaults.severities, ...rule?.severities });
  const windows = new Map(
    componentIds.flatMap((id) => {
      const window = windowHolding(holders, id);
      return window ? [[id, window.name] as const] : [];
    }),
  );
  const suppressedIds = componentIds.filter((id) => windows.has(id));
  const notes = [
    refs.length === 0
      ? 'La alerta no nombra componente (etiqueta «component») ni coincide con ninguna regla.'
      : undefined,
    unmatchedRefs.length ? `No existen en el catálogo: ${unmatchedRefs.map((r) => `«${r}»`).join(', ')}.` : undefined,
    note,
    suppressedIds.length
      ? `En mantenimiento: ${[...new Set(windows.values())].map((n) => `«${n}»`).join(', ')}.`
      : undefined,
  ].filter(Boolean);
  return {
    evaluation: {
      componentIds,
      suppressedIds,
      proposedStatus: status,
      mode,
      effect: alertEffect({ componentIds, status, mode }, suppressedIds.length),
    },
    ruleName: rule?.name ?? null,
    unmatchedRefs,
    templateId: namedTemplate(alert, rule?.template)?.id ?? null,
    note: notes.length ? notes.join(' ') : null,
  };
}
