// Subscriber fan-out, on every channel (email, SMS, WhatsApp, Telegram, team chats): inside the
// command's transaction, one outbox row per recipient and event, on the recipient's channel —
// confirmed subscribers of the affected components (or of every component), subscribers of the
// affected service IDs and the technical contacts of the affected services. The notice's facts
// are stored once (email_notices, shared by all channels); each row carries the recipient's own
// preferences/unsubscribe token, and each channel's worker renders it (api/email, api/channels).
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import { emailNotices } from '../schema/index.ts';
import { enqueueMessages, enqueueWithdrawnMessages, UNSUBSCRIBED_REASON } from '../outbox/enqueue.ts';
import {
  FANOUT_AT_COMMIT,
  recordDeferredFanOut,
  recordFanOut,
  registerFanOutExpander,
  type FanOutJob,
} from '../outbox/fanout.ts';
import { catalogueOf } from '../queries/catalog.ts';
import { componentNames } from '../subscriptions/choices.ts';
import { incidentDetail } from '../queries/incidents.ts';
import { incidentReport } from '../queries/incidentReports.ts';
import { maintenanceDetail } from '../queries/maintenances.ts';
import { countConfirmedSubscribersFor, incidentNotifiedSubscribers } from '../queries/subscribers.ts';
import {
  fromRecipientEntry,
  noticeRecipientEntries,
  noticeRecipientsFor,
  type NoticeRecipient,
  type NoticeRecipientEntry,
  type NoticeScope,
} from '../queries/services.ts';
import { subscriberChannels, type SubscriberChannel } from '../enums.ts';
import { registerAudienceCounter, type AudienceCount } from './audience.ts';
import type { OutboxMessageInput } from '../outbox/enqueue.ts';
import { EMAIL_CHANNEL, type EmailPayload, type NoticeProps } from '../subscriptions/payload.ts';
import { formatToken, hashSecret, MANAGE_TTL_MS, newSecrets } from '../subscriptions/tokens.ts';
import { registerFanOut, type NotificationEvent } from './index.ts';

/** The fan-out source of subscriber notices, on every subscriber channel. */
const SUBSCRIBER_NOTICES = 'subscribers';

type Notifiable = Exclude<NotificationEvent, { type: 'component.status_changed' }>;

/** The notice's areas by name: only these components' rows and their areas' (not all 200 of the catalogue). */
function areaNames(db: Db, componentIds: string[]): string[] {
  return componentNames(catalogueOf(db, componentIds), componentIds);
}

function noticeProps(db: Db, event: Notifiable): NoticeProps | null {
  if ('incidentId' in event) {
    const incident = incidentDetail(db, event.incidentId);
    const update = incident?.updates.find((u) => u.id === event.updateId);
    if (!incident || !update) return null;
    return {
      kind: 'incident',
      event: event.type,
      incidentId: incident.id,
      name: incident.name,
      status: update.status,
      statusLabel: update.statusLabel,
      impactLabel: incident.impactLabel,
      areas: areaNames(db, event.componentIds),
      body: update.body,
      // The incident row is rewritten after the update in the same transaction: the update
      // carries what this notice announces.
      cause: update.cause ?? incident.cause,
      eta: update.status === 'resolved' ? null : ((update.eta ?? incident.eta)?.toISOString() ?? null),
      startedAt: incident.startedAt.toISOString(),
      resolvedAt: update.status === 'resolved' ? (incident.resolvedAt ?? event.at).toISOString() : null,
      at: event.at.toISOString(),
    };
  }
  const maintenance = maintenanceDetail(db, event.maintenanceId);
  if (!maintenance) return null;
  // The newest posted text tells what this notice is about (a reschedule's reason, a
  // completion note); the announcement carries the maintenance's own description.
  const latest = maintenance.updates.find((u) => u.body && u.body.trim() !== '');
  // A reschedule states both windows; the newest schedule change is the one this notice is about.
  const change = event.type === 'maintenance.rescheduled' ? maintenance.scheduleChanges[0] : undefined;
  return {
    kind: 'maintenance',
    event: event.type,
    maintenanceId: maintenance.id,
    name: maintenance.emergency ? `Mantenimiento de emergencia: ${maintenance.name}` : maintenance.name,
    areas: areaNames(db, event.componentIds),
    scheduledFor: maintenance.scheduledFor.toISOString(),
    scheduledUntil: maintenance.scheduledUntil.toISOString(),
    impactLabel: maintenance.impactLabel,
    impactKind: maintenance.impactKind,
    startedAt: maintenance.startedAt?.toISOString() ?? null,
    completedAt: maintenance.completedAt?.toISOString() ?? null,
    ...(change
      ? { previousFor: change.previousFor.toISOString(), previousUntil: change.previousUntil.toISOString() }
      : {}),
    // A reschedule's timeline text restates both windows, which the email lists as facts: it says the reason only.
    body: change
      ? change.reason
        ? `Motivo: ${change.reason}`
        : null
      : event.type === 'maintenance.announced' || event.type === 'maintenance.reminder' || !latest
        ? maintenance.body
        : latest.body,
    at: event.at.toISOString(),
  };
}

function eventKey(event: Notifiable): string {
  if ('updateId' in event) return `incident-update:${event.updateId}`;
  return `${event.type}:${event.maintenanceId}:${event.at.getTime()}`;
}

const TOKENS_PER_STATEMENT = 100;

/**
 * One manage token per recipient, as multi-row inserts with consecutive ids (the fan-out's hot
 * loop; the command's transaction holds the write lock, so max(id) cannot move meanwhile).
 * Returns the tokens, in recipient order.
 */
export function issueManageTokens(db: Db, subscriberIds: string[], createdAt: number, expiresAt: number): string[] {
  const secrets = newSecrets(subscriberIds.length);
  const { last } = db.$client.prepare('SELECT coalesce(max(id), 0) AS last FROM subscriber_tokens').get() as {
    last: number;
  };
  const sqlFor = (n: number) =>
    `INSERT INTO subscriber_tokens (id, secret_hash, subscriber_id, purpose, created_at, expires_at) VALUES ${Array(n).fill("(?, ?, ?, 'manage', ?, ?)").join(', ')}`;
  const many = db.$client.prepare(sqlFor(TOKENS_PER_STATEMENT));
  const one = db.$client.prepare(sqlFor(1));
  const row = (i: number) => [last + 1 + i, hashSecret(secrets[i]), subscriberIds[i], createdAt, expiresAt];
  let i = 0;
  for (; i + TOKENS_PER_STATEMENT <= subscriberIds.length; i += TOKENS_PER_STATEMENT) {
    const values: unknown[] = [];
    for (let j = i; j < i + TOKENS_PER_STATEMENT; j++) values.push(...row(j));
    many.run(values);
  }
  for (; i < subscriberIds.length; i++) one.run(row(i));
  return secrets.map((secret, k) => formatToken(last + 1 + k, secret));
}

/**
 * Who a notice on this scope reaches, per channel (the composer's preview, the maintenance
 * check): the very recipients the fan-out would queue, counted.
 */
function subscriberAudience(db: Db, scope: NoticeScope): AudienceCount[] {
  const counts = new Map<SubscriberChannel, number>();
  for (const r of noticeRecipientsFor(db, scope)) counts.set(r.channel, (counts.get(r.channel) ?? 0) + 1);
  return subscriberChannels.map((channel) => ({ channel, count: counts.get(channel) ?? 0 }));
}

/**
 * The per-channel expansion: one outbox row per recipient, on its channel, keyed by event and
 * subscriber (one delivery per recipient and event). Every channel's row carries the same
 * payload; its transport renders it. Kept apart from the fan-out so that a fan-out expanded in
 * slices can call it per slice.
 */
export function noticeMessages(
  recipients: readonly NoticeRecipient[],
  tokens: readonly string[],
  noticeId: string,
  kind: string,
  key: string,
): OutboxMessageInput[] {
  return recipients.map((r, i) => ({
    channel: r.channel,
    kind,
    dedupeKey: `${key}:${r.id}`,
    recipient: r.address,
    payload: {
      template: 'notice',
      notice: noticeId,
      subscriber: r.id,
      manageToken: tokens[i],
      ...(r.services ? { services: r.services } : {}),
      ...(r.kind === 'technical_contact' ? { technicalContact: true as const } : {}),
    } satisfies EmailPayload,
  }));
}

/**
 * One slice of a notice's recipients (the audience resolved at commit, db/outbox/fanout.ts) as
 * outbox rows, each with its own link token (only its secret's hash is stored). A recipient who
 * unsubscribed since the commit gets the row an unsubscribe leaves behind: withdrawn, as
 * `removeSubscriber` withdraws the messages queued before it.
 */
function expandNotices(db: Db, job: FanOutJob<NoticeFanOutPayload>, entries: NoticeRecipientEntry[]): void {
  if (entries.length === 0) return;
  const recipients = entries.map(fromRecipientEntry);
  const live = new Set(
    db.$client
      .prepare('SELECT id FROM subscribers WHERE id IN (SELECT value FROM json_each(?)) AND confirmed_at IS NOT NULL')
      .pluck()
      .all(JSON.stringify(recipients.map((r) => r.id))) as string[],
  );
  const kept = recipients.filter((r) => live.has(r.id));
  const gone = recipients.filter((r) => !live.has(r.id));
  const at = job.createdAt;
  const tokens = issueManageTokens(
    db,
    kept.map((r) => r.id),
    at.getTime(),
    at.getTime() + MANAGE_TTL_MS,
  );
  enqueueMessages(db, noticeMessages(kept, tokens, job.payload.notice, job.kind, job.eventKey), at);
  if (gone.length > 0)
    enqueueWithdrawnMessages(
      db,
      noticeMessages(
        gone,
        gone.map(() => ''),
        job.payload.notice,
        job.kind,
        job.eventKey,
      ),
      at,
      UNSUBSCRIBED_REASON,
    );
}

/** What a notice's fan-out keeps: its facts (email_notices) and, for an audience read later, its scope. */
type NoticeFanOutPayload = { notice: string; scope?: NoticeScope };

/**
 * The notice's facts (stored once) and its audience, in the command's transaction; the
 * per-recipient rows follow from the fan-out (db/outbox/fanout.ts). An audience of more than
 * FANOUT_AT_COMMIT subscribers (counted: one indexed pass, no row read) is not read here: the
 * fan-out keeps the notice's scope and its audience is read right after the commit, before any
 * later change can alter it (recordDeferredFanOut). A smaller one, or an announcement that leaves
 * out whom an earlier scope reached, is read now.
 */
export function subscriberFanOut(db: Db, event: NotificationEvent): void {
  if (event.type === 'component.status_changed') return;
  if ('deliver' in event && !event.deliver) return;
  const previous = 'previousScope' in event ? event.previousScope : undefined;
  const scope: NoticeScope = { componentIds: event.componentIds, elements: event.elements };
  const subscribers = previous ? 0 : countConfirmedSubscribersFor(db, scope.componentIds);
  const deferred = subscribers > FANOUT_AT_COMMIT;
  const entries = deferred ? [] : noticeRecipientEntries(db, scope, previous);
  if (!deferred && entries.length === 0) return;
  const props = noticeProps(db, event);
  if (!props) return;
  const noticeId = newId();
  db.insert(emailNotices)
    .values({ id: noticeId, kind: event.type, props: JSON.stringify(props), createdAt: event.at })
    .run();
  const fanOut = { source: SUBSCRIBER_NOTICES, kind: event.type, eventKey: eventKey(event), at: event.at };
  if (deferred) {
    recordDeferredFanOut<NoticeFanOutPayload>(db, {
      ...fanOut,
      payload: { notice: noticeId, scope },
      estimate: subscribers,
    });
    return;
  }
  // In subscriber-id order (noticeRecipientEntries): each slice's rows and link tokens then land
  // side by side in the indexes keyed by subscriber (dedupe key, token owner), so a slice's
  // commit writes a few pages instead of one per recipient (the expansion took less than half the
  // time in `npm run bench:email`).
  recordFanOut<NoticeRecipientEntry, NoticeFanOutPayload>(db, { ...fanOut, payload: { notice: noticeId }, entries });
}

/**
 * The report of an incident, to the subscribers its notices reached (an email outbox row of one
 * of its updates) who are still confirmed. Once per version and subscriber: sending the same
 * version again queues nothing new. Returns how many messages were queued.
 */
export function enqueueIncidentReportEmails(db: Db, incidentId: string, version: number, at: Date): number {
  // Once per version and subscriber: whoever already has this version's message is left out.
  const sent = new Set(
    db.$client
      .prepare(`SELECT dedupe_key FROM outbox_messages WHERE dedupe_key LIKE ?`)
      .pluck()
      .all(`incident-report:${incidentId}:${version}:%`) as string[],
  );
  const recipients = incidentNotifiedSubscribers(db, incidentId).filter(
    (r) => !sent.has(`incident-report:${incidentId}:${version}:${r.id}`),
  );
  if (recipients.length === 0) return 0;
  const incident = incidentDetail(db, incidentId);
  const report = incidentReport(db, incidentId);
  if (!incident || !report || report.version !== version) return 0;
  const props: NoticeProps = {
    kind: 'report',
    event: 'incident.report',
    incidentId,
    name: incident.name,
    impactLabel: incident.impactLabel,
    version,
    markdown: report.body,
    html: report.html,
    at: at.toISOString(),
  };
  const noticeId = newId();
  db.insert(emailNotices)
    .values({ id: noticeId, kind: 'incident.report', props: JSON.stringify(props), createdAt: at })
    .run();
  // A fan-out like any notice: the first slice now, the rest right after the commit.
  recordFanOut(db, {
    source: SUBSCRIBER_NOTICES,
    kind: 'incident.report',
    eventKey: `incident-report:${incidentId}:${version}`,
    payload: { notice: noticeId },
    entries: recipients
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r): NoticeRecipientEntry => [r.id, EMAIL_CHANNEL, r.email, 'public']),
    at,
  });
  return recipients.length;
}

registerFanOutExpander(SUBSCRIBER_NOTICES, expandNotices, (db, job: FanOutJob<NoticeFanOutPayload>) =>
  // A deferred fan-out always has its scope (subscriberFanOut).
  noticeRecipientEntries(db, job.payload.scope!),
);
registerFanOut(subscriberFanOut);
registerAudienceCounter(subscriberAudience);
