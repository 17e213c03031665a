// The counters and histograms of this process, incremented where each event happens, and Node's
// default process metrics (event-loop lag, memory, CPU, handles). Scraped at GET /metrics with the
// gauges api/metrics/state.ts computes from the database at scrape time.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { onDatabaseBusy } from '#db/client.ts';
import { onDeliveryOutcome, type DeliveryOutcome } from '#db/outbox/worker.ts';
import { alertEffects, alertFormats, type AlertEffect } from '#db/enums.ts';
import { routeFamily } from './families.ts';

export const processRegistry = new Registry();

let defaultsStarted = false;
/** Node's process metrics; started once, by the first app that serves /metrics. */
export function startProcessMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register: processRegistry });
}

/** Requests answered, by family and status code: plain numbers, so counting one costs no hashing. */
interface RequestTally {
  family: string;
  code: string;
  n: number;
}
const tallies = new Map<string, RequestTally>();

export const httpRequests = new Counter({
  name: 'somnet_http_requests_total',
  help: 'HTTP requests answered by this process, by route family and status code.',
  labelNames: ['family', 'code'] as const,
  registers: [processRegistry],
  collect() {
    this.reset();
    for (const t of tallies.values()) this.labels(t.family, t.code).inc(t.n);
  },
});

export const renderSeconds = new Histogram({
  name: 'somnet_render_seconds',
  help: 'Time to render a page or document that was not in the render cache, by route family.',
  labelNames: ['family'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [processRegistry],
});

export const deliveries = new Counter({
  name: 'somnet_deliveries_total',
  help: 'Outbox messages handed to a channel, by result: sent, failed (given up) or retried (rescheduled).',
  labelNames: ['channel', 'result'] as const,
  registers: [processRegistry],
});

export const alertsReceived = new Counter({
  name: 'somnet_alerts_received_total',
  help: 'Alerts received by the intake (resends included), by intake source and what they did to the site.',
  labelNames: ['source', 'effect'] as const,
  registers: [processRegistry],
});

export const databaseBusy = new Counter({
  name: 'somnet_database_busy_total',
  help: 'Times this process found the database locked by another connection for longer than it waits.',
  registers: [processRegistry],
});

export const publishedFiles = new Counter({
  name: 'somnet_published_files_total',
  help: 'Files written to PUBLISH_DIR (a file whose bytes did not change is not written).',
  registers: [processRegistry],
});

/** Channels whose delivery counters exist from the start (0), so rate() and `and on(channel)` see them. */
export const KNOWN_CHANNELS = ['email', 'webhook'];
const RESULTS: Record<DeliveryOutcome, string> = { sent: 'sent', failed: 'failed', retry: 'retried' };
for (const channel of KNOWN_CHANNELS)
  for (const result of Object.values(RESULTS)) deliveries.labels(channel, result).inc(0);
for (const source of alertFormats) for (const effect of alertEffects) alertsReceived.labels(source, effect).inc(0);

onDatabaseBusy(() => databaseBusy.inc());
onDeliveryOutcome((channel, outcome, count) => deliveries.labels(channel, RESULTS[outcome]).inc(count));

// The request path is the hot path (tens of thousands of cached answers a second): a URL seen
// before costs one Map lookup and an addition, not the family rules and a hash of the labels.
// Bounded, since a scanner sends URLs without end (forgetting a URL loses no count).
const tallyOfUrl = new Map<string, RequestTally>();
const MAX_REMEMBERED_URLS = 4096;

/** Counts one answered request (api/server.ts calls it for every request, cached or not). */
export function countRequest(url: string, status: number): void {
  const key = `${status} ${url}`;
  let tally = tallyOfUrl.get(key);
  if (!tally) {
    const family = routeFamily(url);
    const code = String(status);
    tally = tallies.get(`${family} ${code}`);
    if (!tally) tallies.set(`${family} ${code}`, (tally = { family, code, n: 0 }));
    if (tallyOfUrl.size >= MAX_REMEMBERED_URLS) tallyOfUrl.clear();
    tallyOfUrl.set(key, tally);
  }
  tally.n++;
}

/** Times a rendering of `path` (a cache miss), synchronous or not. */
export function timeRender<T>(path: string, render: () => T): T {
  const end = renderSeconds.startTimer({ family: routeFamily(path) });
  let result: T;
  try {
    result = render();
  } catch (err) {
    end();
    throw err;
  }
  if (result instanceof Promise) return result.finally(end) as T;
  end();
  return result;
}

/** Counts the alerts of one intake delivery, by the intake that received them. */
export function countAlerts(source: (typeof alertFormats)[number], effects: Iterable<AlertEffect>): void {
  // Tallied first: one increment per effect, not per alert (a storm's group is 5,000 alerts).
  const tally = new Map<AlertEffect, number>();
  for (const effect of effects) tally.set(effect, (tally.get(effect) ?? 0) + 1);
  for (const [effect, n] of tally) alertsReceived.labels(source, effect).inc(n);
}
