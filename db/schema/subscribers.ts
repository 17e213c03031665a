import { sqliteTable, text, integer, index, primaryKey, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { components } from './catalog.ts';
import { subscriberChannels } from '../enums.ts';

/**
 * People (and team chats) who receive notices, one row per channel and address: an email
 * (lower-cased), a phone number in E.164 (SMS, WhatsApp), a Telegram chat id or a chat webhook
 * URL (db/subscriptions/channels.ts). Unconfirmed rows receive nothing but their confirmation
 * and are purged when it expires; unsubscribing deletes the row (and, by cascade, its choices
 * and tokens).
 */
export const subscribers = sqliteTable(
  'subscribers',
  {
    id: text('id').primaryKey(),
    channel: text('channel', { enum: subscriberChannels }).notNull().default('email'),
    address: text('address').notNull(),
    customerId: text('customer_id'),
    /** 'public': signed up on the site; 'technical_contact': imported by the NOC. */
    kind: text('kind', { enum: ['public', 'technical_contact'] })
      .notNull()
      .default('public'),
    /** True: every component, including ones added later. False: only subscriber_components. */
    allComponents: integer('all_components', { mode: 'boolean' }).notNull().default(true),
    confirmedAt: integer('confirmed_at', { mode: 'timestamp_ms' }),
    /** Unconfirmed rows are deleted after this instant. */
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('subscribers_channel_address_idx').on(t.channel, t.address),
    index('subscribers_confirmed_idx').on(t.confirmedAt),
    index('subscribers_expires_idx').on(t.expiresAt),
  ],
);

/**
 * The 6-digit code a phone channel (SMS, WhatsApp) sends to confirm a number: only its hash,
 * its expiry and the wrong tries so far (a number is subscribed only once its owner typed it).
 */
export const subscriberCodes = sqliteTable('subscriber_codes', {
  subscriberId: text('subscriber_id')
    .primaryKey()
    .references(() => subscribers.id, { onDelete: 'cascade' }),
  codeHash: text('code_hash').notNull(),
  attempts: integer('attempts').notNull().default(0),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});

export const subscriberComponents = sqliteTable(
  'subscriber_components',
  {
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.subscriberId, t.componentId] }),
    index('subscriber_components_component_idx').on(t.componentId),
  ],
);

/**
 * Links sent by email (confirm, manage/unsubscribe): token "<id>.<secret>". Only the SHA-256 of
 * the random 256-bit secret is kept, so a copy of the database cannot act for a subscriber.
 */
export const subscriberTokens = sqliteTable(
  'subscriber_tokens',
  {
    id: integer('id').primaryKey(),
    secretHash: text('secret_hash').notNull(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['confirm', 'manage'] }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('subscriber_tokens_subscriber_idx').on(t.subscriberId),
    index('subscriber_tokens_expires_idx').on(t.expiresAt),
  ],
);

/** Attempts per IP and per address (both hashed), for the rate limits (RATE_LIMITS in db/subscriptions/tokens.ts). */
export const subscriptionAttempts = sqliteTable(
  'subscription_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** 'email': per address of any channel (the name is kept from when only email existed). */
    scope: text('scope', { enum: ['ip', 'email', 'service_lookup'] }).notNull(),
    keyHash: text('key_hash').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('subscription_attempts_key_idx').on(t.scope, t.keyHash, t.at)],
);

/**
 * What one notice says (incident snapshot, maintenance window), written once per event; each
 * recipient's outbox row points here, so 100,000 recipients do not copy the text 100,000 times
 * and a retry renders the very same message.
 */
export const emailNotices = sqliteTable('email_notices', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  props: text('props').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
});
