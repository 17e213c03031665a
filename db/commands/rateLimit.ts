// The per-key limiter of the public forms and lookups: attempts per hashed key over a sliding
// window (RATE_LIMITS in db/subscriptions/tokens.ts), counted in subscription_attempts. Old
// rows are purged by the email worker's housekeeping (purgeExpiredSubscriptions).
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { subscriptionAttempts } from '../schema/index.ts';
import { hashKey, RATE_LIMITS, type RateLimitScope } from '../subscriptions/tokens.ts';

/**
 * Counts one attempt for `value` (an address key, an email) under `scope` and says whether it
 * is within the limit; an attempt over the limit is not recorded. Call it inside a transaction
 * (a command's, or `writeTransaction`), so the count and the insert cannot interleave.
 */
export function withinRateLimit(db: Db, scope: RateLimitScope, value: string, now: Date): boolean {
  const limit = RATE_LIMITS[scope];
  const keyHash = hashKey(value);
  const since = now.getTime() - limit.windowMs;
  const { n } = db
    .select({ n: sql<number>`count(*)` })
    .from(subscriptionAttempts)
    .where(
      and(
        eq(subscriptionAttempts.scope, scope),
        eq(subscriptionAttempts.keyHash, keyHash),
        sql`${subscriptionAttempts.at} > ${since}`,
      ),
    )
    .get()!;
  if (n >= limit.max) return false;
  db.insert(subscriptionAttempts).values({ scope, keyHash, at: now }).run();
  return true;
}
