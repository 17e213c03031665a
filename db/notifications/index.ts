// What happened, for everyone who tells the outside world (email, webhooks, …). Commands call
// `publish` inside their transaction; each channel registers a fan-out that enqueues its outbox
// rows in that same transaction, so a notice exists if and only if the change committed.
import type { Db } from '../client.ts';
import type { ComponentStatus } from '../enums.ts';

export type NotificationEvent =
  | {
      type: 'incident.created' | 'incident.updated' | 'incident.resolved';
      incidentId: string;
      updateId: string;
      /** The update's deliver_notifications flag: false means record, do not notify. */
      deliver: boolean;
      /** Component ids the incident affects (after this update). */
      componentIds: string[];
      /** Network elements it names (after this update): their services' contacts are told too. */
      elements: string[];
      at: Date;
    }
  | {
      type: 'component.status_changed';
      componentId: string;
      oldStatus: ComponentStatus;
      newStatus: ComponentStatus;
      cause: { kind: string; id?: string | null };
      at: Date;
    }
  | {
      type:
        | 'maintenance.announced'
        | 'maintenance.reminder'
        | 'maintenance.started'
        | 'maintenance.completed'
        | 'maintenance.cancelled'
        | 'maintenance.rescheduled';
      maintenanceId: string;
      componentIds: string[];
      elements: string[];
      /**
       * An announcement after the window's scope grew: only those the earlier scope did not reach
       * are told (subscribers of the added components, contacts of newly affected services).
       */
      previousScope?: { componentIds: string[]; elements: string[] };
      at: Date;
    };

export type FanOut = (db: Db, event: NotificationEvent) => void;

const fanOuts: FanOut[] = [];

/** A channel registers once, at import time of its module. */
export function registerFanOut(fanOut: FanOut): void {
  if (!fanOuts.includes(fanOut)) fanOuts.push(fanOut);
}

/** Must be called inside the command's transaction. */
export function publish(db: Db, event: NotificationEvent): void {
  for (const fanOut of fanOuts) fanOut(db, event);
}
