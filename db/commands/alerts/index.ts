// Alert intake from monitoring (Alertmanager, Grafana, generic senders), in one file per job:
//   envelopes.ts   Alertmanager's and Grafana's schema, an alert normalised to one IncomingAlert, packed groups
//   intake.ts      the generic shape's schema; the entry points (a large body read by the worker)
//   offload.ts     the intake worker (intakeWorker.ts): large bodies parsed, validated and gzipped off the
//                  event loop; the WAL checkpointed there while a large group is applied
//   evaluate.ts    what the NOC's rules make of one alert (components, status, mode, template)
//   receive.ts     a delivery applied (large ones in slices), through db/domain/alerts.ts `alertTransition`
//   groups.ts      alert groups as last applied: an unchanged resend is one comparison
//   episodes.ts    the alerts table: an episode read as domain types, a transition written
//   reconciler.ts  component status following the alerts that hold it (decided, or planned a turn ahead)
//   drafts.ts      a firing alert linked to an open incident, or a draft opened or joined
//   deliveries.ts  the webhooks as received, deduplicated; the sender as the audit's actor
//   settle.ts      what the clock makes due: damping settles, ended maintenances release alerts
export {
  alertmanagerWebhookInput,
  genericAlertInput,
  grafanaWebhookInput,
  MAX_ALERTS_PER_PAYLOAD,
  VALIDATION_SLICE,
  RESERVED_ALERT_SOURCES,
  receiveAlertmanagerWebhook,
  receiveEnvelopeBody,
  receiveGenericAlert,
  receiveGrafanaWebhook,
  resumeDelivery,
  type AlertmanagerWebhook,
  type GenericAlert,
  type GrafanaWebhook,
  type IncomingAlert,
  type IntakeContext,
} from './intake.ts';
export { type AlertChange, type IntakeResult } from './receive.ts';
export { DELIVERY_RETENTION_MS, stalledDeliveries } from './deliveries.ts';
export { ALERT_SLICE } from './receive.ts';
export { GROUP_SEEN_REFRESH_MS } from './groups.ts';
export { startIntakeWorker } from './offload.ts';
export { linkDraftAlerts } from './drafts.ts';
export { nextAlertSettleDue, settleAlerts } from './settle.ts';
