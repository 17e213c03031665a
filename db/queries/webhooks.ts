import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { webhookEndpoints } from '../schema/index.ts';

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  /** Both null: every component. */
  componentIds: string[] | null;
  groupIds: string[] | null;
  enabled: boolean;
  disabledAt: Date | null;
  disabledReason: string | null;
  consecutiveFailures: number;
  failingSince: Date | null;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastError: string | null;
  deliveries: { pending: number; sent: number; failed: number };
  createdAt: Date;
}

/** Every endpoint with its health and delivery counts; never the secret. */
export function webhookEndpointList(db: Db, id?: string): WebhookEndpointView[] {
  const rows = id
    ? db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).all()
    : db.select().from(webhookEndpoints).orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id)).all();
  const counts = db.all<{ recipient: string; status: 'pending' | 'sent' | 'failed'; n: number }>(
    sql`SELECT recipient, status, count(*) AS n FROM outbox_messages WHERE channel = 'webhook' GROUP BY recipient, status`,
  );
  return rows.map((r) => {
    const mine = counts.filter((c) => c.recipient === r.id);
    const n = (s: string) => mine.find((c) => c.status === s)?.n ?? 0;
    return {
      id: r.id,
      url: r.url,
      description: r.description,
      componentIds: r.componentIds ?? null,
      groupIds: r.groupIds ?? null,
      enabled: r.disabledAt === null,
      disabledAt: r.disabledAt,
      disabledReason: r.disabledReason,
      consecutiveFailures: r.consecutiveFailures,
      failingSince: r.failingSince,
      lastAttemptAt: r.lastAttemptAt,
      lastSuccessAt: r.lastSuccessAt,
      lastFailureAt: r.lastFailureAt,
      lastError: r.lastError,
      deliveries: { pending: n('pending'), sent: n('sent'), failed: n('failed') },
      createdAt: r.createdAt,
    };
  });
}
