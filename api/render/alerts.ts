// JSON for the alert API (GET /api/v1/alerts, the intake answers, GET /api/v1/alert-rules):
// pure functions over the view models the console shows.
import type { IntakeResult } from '#db/commands/alerts/index.ts';
import type { AlertRuleDocument } from '#db/domain/alerts.ts';
import type { AlertView, Catalogue, DraftView } from '#db/queries/index.ts';
import { readersServed } from '../readersFirst.ts';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function alertJson(a: AlertView) {
  return {
    id: a.id,
    source: a.source,
    fingerprint: a.fingerprint,
    status: a.status,
    labels: a.labels,
    components: a.components.map((c) => ({ id: c.id, slug: c.slug, name: c.fullName })),
    starts_at: a.startsAt.toISOString(),
    ends_at: iso(a.endsAt),
    draft_incident_id: a.draftId,
    incident_id: a.incidentId,
    format: a.format,
    receiver: a.receiver,
    severity: a.severity,
    summary: a.summary,
    annotations: a.annotations,
    url: a.url,
    effect: a.effect,
    mode: a.mode,
    proposed_status: a.proposedStatus,
    rule: a.ruleName,
    note: a.note,
    unmatched_refs: a.unmatchedRefs,
    flapping: a.flapping,
    flap_count: a.flapCount,
    received_at: a.firstReceivedAt.toISOString(),
    last_received_at: a.lastReceivedAt.toISOString(),
    resolved_at: iso(a.resolvedAt),
  };
}

export function draftJson(d: DraftView) {
  return {
    id: d.id,
    state: d.state,
    name: d.name,
    impact: d.impact,
    status: d.status,
    cause: d.cause,
    body: d.body,
    components: Object.fromEntries(d.components.map((c) => [c.component.slug, c.status])),
    template: d.templateId,
    started_at: d.startedAt.toISOString(),
    last_alert_at: d.lastAlertAt.toISOString(),
    created_at: d.createdAt.toISOString(),
    incident_id: d.incidentId,
    closed_at: iso(d.closedAt),
    closed_by: d.closedBy,
    discard_reason: d.discardReason,
    alert_ids: d.alerts.map((a) => a.id),
  };
}

/** What an intake answers: per alert, what happened to it. Alertmanager only reads the status code. */
export function intakeJson(result: IntakeResult, catalogue: Catalogue) {
  return {
    delivery_id: result.deliveryId,
    duplicate: result.duplicate,
    alerts: result.alerts.map(intakeAlertJson(catalogue)),
  };
}

const intakeAlertJson = (catalogue: Catalogue) => {
  const slug = (id: string) => catalogue.byId.get(id)?.slug ?? id;
  return (a: IntakeResult['alerts'][number]) => ({
    id: a.id,
    fingerprint: a.fingerprint,
    status: a.status,
    change: a.change,
    effect: a.effect,
    components: a.componentIds.map(slug),
    note: a.note,
    draft_incident_id: a.draftId,
    incident_id: a.incidentId,
  });
};

/** Alerts of an intake answer serialised per turn of the event loop. */
const ANSWER_SLICE = 500;

/**
 * `intakeJson` as the response text, the same bytes as JSON.stringify of it, written
 * ANSWER_SLICE alerts per turn: the answer to a 5,000-alert group (about 1 MB) built in one go
 * held every request some 20 ms more. Readers first (api/readersFirst.ts): a slice waits while a
 * reader waits for a page being rendered — `/` right after the storm changed components, whose
 * Astro rendering awaits between components and let a slice of this answer in at each of those
 * turns (Alertmanager only reads the status code; the customer reads `/`).
 */
export async function intakeJsonText(
  result: IntakeResult,
  catalogue: Catalogue,
  between: () => Promise<void> = readersServed,
): Promise<string> {
  const head = JSON.stringify({ delivery_id: result.deliveryId, duplicate: result.duplicate });
  const json = intakeAlertJson(catalogue);
  const parts: string[] = [];
  for (let i = 0; i < result.alerts.length; i += ANSWER_SLICE) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    await between();
    parts.push(JSON.stringify(result.alerts.slice(i, i + ANSWER_SLICE).map(json)).slice(1, -1));
  }
  // The whole text (a megabyte to join, then to write) only once no reader waits either.
  if (result.alerts.length > ANSWER_SLICE) await between();
  return `${head.slice(0, -1)},"alerts":[${parts.filter(Boolean).join(',')}]}`;
}

/** The rule document with component references as slugs (ids are what is stored). */
export function alertRulesJson(
  doc: AlertRuleDocument & { updatedAt: Date | null; updatedBy: string | null },
  catalogue: Catalogue,
) {
  const slug = (id: string) => catalogue.byId.get(id)?.slug ?? catalogue.groups.find((g) => g.id === id)?.slug ?? id;
  return {
    default: {
      mode: doc.defaults.mode,
      hold_down_minutes: doc.defaults.holdDownMinutes,
      severities: doc.defaults.severities,
    },
    rules: doc.rules.map((r) => ({
      name: r.name,
      match: r.match,
      match_re: r.matchRe,
      components: r.components.map(slug),
      ...(r.mode ? { mode: r.mode } : {}),
      ...(r.severities ? { severities: r.severities } : {}),
      ...(r.template ? { template: r.template } : {}),
    })),
    updated_at: iso(doc.updatedAt),
    updated_by: doc.updatedBy,
  };
}
