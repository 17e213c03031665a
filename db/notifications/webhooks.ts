// Webhook channel: for each event, one outbox row per subscribed endpoint (channel 'webhook',
// recipient = endpoint id), written in the command's own transaction. The row keeps the event
// and the page state at that moment; the delivery worker renders the Statuspage body from it
// (api/webhooks/), because the Statuspage JSON renderers live in api/ and db/ imports nothing
// above it. The incident is rendered "as of" the event's update, so a late delivery never
// shows updates that came after it.
import { inArray, isNull } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { WINDOW_IN_PROGRESS } from '../domain/maintenance.ts';
import { overallStatusWithMaintenance } from '../domain/rollup.ts';
import { newId } from '../ids.ts';
import { enqueueMessages } from '../outbox/enqueue.ts';
import { recordFanOut, registerFanOutExpander, type FanOutJob } from '../outbox/fanout.ts';
import { components, maintenances, webhookEndpoints } from '../schema/index.ts';
import type { ComponentStatus, StatusIndicator } from '../enums.ts';
import { registerFanOut, type NotificationEvent } from './index.ts';

/** The fan-out source of webhook deliveries (db/outbox/fanout.ts). */
const WEBHOOK_EVENTS = 'webhooks';

export interface WebhookPage {
  status_indicator: StatusIndicator;
  status_description: string;
}

export type WebhookMessage =
  | {
      event: 'incident.created' | 'incident.updated' | 'incident.resolved';
      incidentId: string;
      updateId: string;
      at: string;
      page: WebhookPage;
    }
  | {
      event: 'component.status_changed';
      componentUpdateId: string;
      componentId: string;
      oldStatus: ComponentStatus;
      newStatus: ComponentStatus;
      at: string;
      page: WebhookPage;
    };

function pageState(db: Db): WebhookPage {
  // The same page indicator as v2's status.json: "maintenance" while a window is open and nothing is worse.
  const open = db
    .select({ id: maintenances.id })
    .from(maintenances)
    .where(inArray(maintenances.status, WINDOW_IN_PROGRESS))
    .limit(1)
    .all();
  const overall = overallStatusWithMaintenance(
    db
      .select({ status: components.status })
      .from(components)
      .all()
      .map((c) => c.status),
    open.length > 0,
  );
  return { status_indicator: overall.indicator, status_description: overall.description };
}

export function webhookFanOut(db: Db, event: NotificationEvent): void {
  // Statuspage webhooks carry incidents and component changes; maintenance windows reach
  // subscribers by email and calendar feeds, and their component changes come through here.
  if (
    event.type !== 'component.status_changed' &&
    event.type !== 'incident.created' &&
    event.type !== 'incident.updated' &&
    event.type !== 'incident.resolved'
  )
    return;
  if (event.type !== 'component.status_changed' && !event.deliver) return;
  const endpoints = db
    .select({
      id: webhookEndpoints.id,
      componentIds: webhookEndpoints.componentIds,
      groupIds: webhookEndpoints.groupIds,
    })
    .from(webhookEndpoints)
    .where(isNull(webhookEndpoints.disabledAt))
    .all();
  if (endpoints.length === 0) return;
  const touched = event.type === 'component.status_changed' ? [event.componentId] : event.componentIds;
  const touchedGroups =
    touched.length === 0
      ? []
      : db
          .selectDistinct({ groupId: components.groupId })
          .from(components)
          .where(inArray(components.id, touched))
          .all()
          .map((r) => r.groupId)
          .filter((g): g is string => g !== null);
  const targets = endpoints.filter(
    (e) =>
      (!e.componentIds && !e.groupIds) ||
      (e.componentIds ?? []).some((id) => touched.includes(id)) ||
      (e.groupIds ?? []).some((id) => touchedGroups.includes(id)),
  );
  if (targets.length === 0) return;
  const page = pageState(db);
  let message: WebhookMessage;
  let key: string;
  if (event.type === 'component.status_changed') {
    const componentUpdateId = newId();
    message = {
      event: event.type,
      componentUpdateId,
      componentId: event.componentId,
      oldStatus: event.oldStatus,
      newStatus: event.newStatus,
      at: event.at.toISOString(),
      page,
    };
    key = `component-update:${componentUpdateId}`;
  } else {
    message = {
      event: event.type,
      incidentId: event.incidentId,
      updateId: event.updateId,
      at: event.at.toISOString(),
      page,
    };
    key = `incident-update:${event.updateId}`;
  }
  recordFanOut(db, {
    source: WEBHOOK_EVENTS,
    kind: event.type,
    eventKey: `webhook:${key}`,
    payload: message,
    entries: targets.map((e) => e.id),
    at: event.at,
  });
}

/** One slice of the endpoints subscribed at commit: one row each, carrying the same message. */
function expandWebhooks(db: Db, job: FanOutJob<WebhookMessage>, endpointIds: string[]): void {
  enqueueMessages(
    db,
    endpointIds.map((id) => ({
      channel: 'webhook',
      kind: job.kind,
      dedupeKey: `${job.eventKey}:endpoint:${id}`,
      recipient: id,
      payload: job.payload,
    })),
    job.createdAt,
  );
}

registerFanOutExpander(WEBHOOK_EVENTS, expandWebhooks);
registerFanOut(webhookFanOut);
