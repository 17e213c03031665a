// Statuspage webhook bodies, rendered from an outbox row's event with the same v2 renderers
// as the public API: `{ meta, page, incident }` or `{ meta, page, component_update, component }`.
import type { Db } from '#db/client.ts';
import type { WebhookMessage } from '#db/notifications/webhooks.ts';
import { componentCatalogue, incidentDetail, type IncidentView } from '#db/queries/index.ts';
import { PAGE_ID, v2Component, v2Incident } from '../render/v2.ts';

/** The incident as it stood right after `updateId`: later updates are left out. */
export function incidentAsOf(view: IncidentView, updateId: string): IncidentView | null {
  const index = view.updates.findIndex((u) => u.id === updateId);
  if (index < 0) return null;
  const updates = view.updates.slice(index);
  const latest = updates[0];
  const resolvedAt = latest.status === 'resolved' ? latest.createdAt : null;
  return {
    ...view,
    updates,
    status: latest.status,
    statusLabel: latest.statusLabel,
    cause: updates.find((u) => u.cause)?.cause ?? view.cause,
    eta: latest.status === 'resolved' ? null : (updates.find((u) => u.eta)?.eta ?? null),
    monitoringAt: [...updates].reverse().find((u) => u.status === 'monitoring')?.createdAt ?? null,
    resolvedAt,
    updatedAt: latest.createdAt,
    durationMs: resolvedAt ? resolvedAt.getTime() - view.startedAt.getTime() : null,
  };
}

/** The JSON body for one delivery, or null when its subject no longer exists. */
export function renderWebhookBody(db: Db, message: WebhookMessage, publicUrl: string): string | null {
  const meta = {
    unsubscribe: null,
    documentation: `${publicUrl}/integraciones#webhooks`,
    generated_at: message.at,
    event: message.event,
  };
  const page = {
    id: PAGE_ID,
    status_indicator: message.page.status_indicator,
    status_description: message.page.status_description,
  };
  if (message.event === 'component.status_changed') {
    const component = componentCatalogue(db).byId.get(message.componentId);
    if (!component) return null;
    return JSON.stringify({
      meta,
      page,
      component_update: {
        id: message.componentUpdateId,
        component_id: message.componentId,
        created_at: message.at,
        old_status: message.oldStatus,
        new_status: message.newStatus,
      },
      component: { ...v2Component(component), status: message.newStatus },
    });
  }
  const view = incidentDetail(db, message.incidentId);
  const asOf = view && incidentAsOf(view, message.updateId);
  if (!asOf) return null;
  return JSON.stringify({ meta, page, incident: v2Incident(asOf, publicUrl) });
}
