// JSON for the alert API (GET /api/v1/alerts, the intake answers, GET /api/v1/alert-rules):
// pure functions over the view models the console shows.
import type { IntakeResult } from '#db/commands/alerts/index.ts';
import type { AlertRuleDocument } from '#db/domain/alerts.ts';
import type { AlertView, Catalogue, DraftView } from '#db/queries/index.ts';

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
  const slug = (id: string) => catalogue.byId.get(id)?.slug ?? id;
  return {
    delivery_id: result.deliveryId,
    duplicate: result.duplicate,
    alerts: result.alerts.map((a) => ({
      id: a.id,
      fingerprint: a.fingerprint,
      status: a.status,
      change: a.change,
      effect: a.effect,
      components: a.componentIds.map(slug),
      note: a.note,
      draft_incident_id: a.draftId,
      incident_id: a.incidentId,
    })),
  };
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
