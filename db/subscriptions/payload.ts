// What an email outbox row carries. The text itself is rendered by the email worker
// (api/email) from these, so a retry after a crash renders the very same message.
// Raw tokens live here only until the message is sent (the worker then forgets the payload).

import type { MaintenanceImpactKind } from '../enums.ts';

export const EMAIL_CHANNEL = 'email';

export type EmailPayload =
  | {
      template: 'confirm';
      subscriber: string;
      confirmToken: string;
      manageToken: string;
      expiresAt: string;
      /** What was asked for, as lines to list (chosenScope); absent in rows queued before it was recorded. */
      scope?: string[];
    }
  | { template: 'already_subscribed'; subscriber: string; manageToken: string }
  /** `services`: the recipient's affected customer services, named in the message ("Su servicio SOM-12345, Sucursal Centro"). */
  | {
      template: 'notice';
      notice: string;
      subscriber: string;
      manageToken: string;
      services?: Array<{ serviceId: string; label: string | null }>;
      /** The recipient is a technical contact SOMNET registered (it never signed up): the footer says so. */
      technicalContact?: true;
    }
  /** A feasibility-study request (manual 2.3) for SOMNET's coverage team; not a subscription. */
  | { template: 'feasibility'; request: string }
  /**
   * A service's monthly statement (db/commands/statements.ts) to one of its technical contacts:
   * the figures as computed when it was queued, so a retry renders the very same message.
   */
  | { template: 'statement'; subscriber: string; manageToken: string; statement: StatementProps };

/**
 * One service's month as its statement email states it: the availability figures and the NOM-184
 * estimate of db/queries/serviceReports.ts (the public statement's and the billing report's), taken
 * as they were; dates as ISO strings, minutes as the availability rule counts them (fractions kept).
 */
export interface StatementProps {
  serviceId: string;
  label: string;
  /** "2026-11". */
  month: string;
  from: string;
  to: string;
  /** Minutes in the calendar month: what the monthly price pays for. */
  monthMinutes: number;
  percent: number | null;
  minutes: {
    /** Weighted unavailable minutes: what the bonus is computed on. */
    down: number;
    major: number;
    partial: number;
    degraded: number;
    maintenance: number;
    unannouncedMaintenance: number;
  };
  events: Array<{
    kind: 'incident' | 'maintenance';
    id: string;
    name: string;
    start: string;
    end: string | null;
    /** Inside the month. */
    durationMs: number;
    emergency?: boolean;
    announced?: boolean;
  }>;
  /** Null without a monthly price in the inventory. */
  compensation: { monthlyPrice: number; proportional: number; bonus: number; total: number } | null;
}

/** Props stored once per notice (email_notices.props); dates as ISO strings. */
export type NoticeProps =
  | {
      kind: 'incident';
      event: 'incident.created' | 'incident.updated' | 'incident.resolved';
      incidentId: string;
      name: string;
      status: string;
      statusLabel: string;
      impactLabel: string;
      areas: string[];
      body: string;
      cause: string | null;
      eta: string | null;
      /** When the outage began and (resolved) when service came back; absent in notices stored before. */
      startedAt?: string;
      resolvedAt?: string | null;
      at: string;
    }
  | {
      kind: 'maintenance';
      event:
        | 'maintenance.announced'
        | 'maintenance.reminder'
        | 'maintenance.started'
        | 'maintenance.completed'
        | 'maintenance.cancelled'
        | 'maintenance.rescheduled';
      maintenanceId: string;
      name: string;
      areas: string[];
      /** The window as it stood when the notice was published. */
      scheduledFor: string | null;
      scheduledUntil: string | null;
      /** The expected impact ("Afectación esperada"); absent in notices stored before it was added. */
      impactLabel?: string;
      impactKind?: MaintenanceImpactKind;
      /** When the work actually began and ended, as of this notice. */
      startedAt?: string | null;
      completedAt?: string | null;
      /** A reschedule's window before the change; absent otherwise. */
      previousFor?: string;
      previousUntil?: string;
      body: string | null;
      at: string;
    }
  | {
      /** An incident report (postmortem) sent to the subscribers the incident notified. */
      kind: 'report';
      event: 'incident.report';
      incidentId: string;
      name: string;
      impactLabel: string;
      version: number;
      /** The report as written (Markdown: the plain-text part) and rendered (sanitised HTML). */
      markdown: string;
      html: string;
      at: string;
    };
