// The monthly statements as the NOC sees them (db/commands/statements.ts sends them): whether a
// month's went out, to how many, and how their delivery stands in the outbox.
import type { Db } from '../client.ts';

export interface StatementRun {
  month: string;
  sentAt: Date;
  /** Services with an outage that month that had a contact to write to. */
  services: number;
  /** Emails queued: one per service and technical contact. */
  messages: number;
}

/** The statements of `month` ("2026-11") as they were queued, or null when they have not been (yet). */
export function statementRunOf(db: Db, month: string): StatementRun | null {
  const row = db.$client
    .prepare('SELECT month, sent_at AS sentAt, services, messages FROM monthly_statements WHERE month = ?')
    .get(month) as { month: string; sentAt: number; services: number; messages: number } | undefined;
  return row ? { ...row, sentAt: new Date(row.sentAt) } : null;
}

export interface StatementDelivery extends StatementRun {
  pending: number;
  sent: number;
  failed: number;
  cancelled: number;
}

/** Statements sent again by hand (resendStatement) are counted apart: the audit lists them. */
const RESENT = '%:resend-%';

/**
 * The newest month whose statements were queued, with the delivery of its emails (rows the outbox
 * retention removed count through their summaries); null before the first.
 */
export function latestStatementDelivery(db: Db): StatementDelivery | null {
  const month = db.$client.prepare('SELECT max(month) FROM monthly_statements').pluck().get() as string | null;
  const run = month === null ? null : statementRunOf(db, month);
  if (!run) return null;
  const prefix = `statement:${run.month}:%`;
  const by = Object.fromEntries(
    (
      db.$client
        .prepare(
          `SELECT status, count(*) AS n FROM outbox_messages WHERE dedupe_key LIKE ? AND dedupe_key NOT LIKE ? GROUP BY status`,
        )
        .all(prefix, RESENT) as Array<{ status: string; n: number }>
    ).map((r) => [r.status, r.n]),
  );
  const pruned = db.$client
    .prepare(
      `SELECT coalesce(sum(sent), 0) AS sent, coalesce(sum(cancelled), 0) AS cancelled FROM outbox_summaries
        WHERE channel = 'email' AND event_key LIKE ? AND event_key NOT LIKE ?`,
    )
    .get(prefix, RESENT) as { sent: number; cancelled: number };
  return {
    ...run,
    pending: by.pending ?? 0,
    sent: (by.sent ?? 0) + pruned.sent,
    failed: by.failed ?? 0,
    cancelled: (by.cancelled ?? 0) + pruned.cancelled,
  };
}
