// Network quality's background work: every minute, read each mapped expression from
// Prometheus (`/api/v1/query_range`, step 60 s) from where it stopped, store what came back,
// evaluate the NOC's thresholds, and once an hour age raw minutes out into hourly aggregates.
import { backgroundWrite, isDatabaseBusy } from '#db/commands/transaction.ts';
import {
  ageQualityData,
  evaluateQualityThresholds,
  FIRST_PULL_MINUTES,
  recordPull,
  type PullOutcome,
  type PullResult,
} from '#db/commands/quality.ts';
import { qualityMetrics } from '#db/enums.ts';
import { minuteOf, RAW_RETENTION_MINUTES, sourceKey } from '#db/domain/quality.ts';
import { pullCoveredUntil, qualitySettingsRow, type PrometheusSeries } from '#db/queries/index.ts';
import type { AppDeps } from '../context.ts';
import type { BackgroundWorker } from './index.ts';

export type QueryOutcome = { ok: true; series: PrometheusSeries[] } | Extract<PullOutcome, { ok: false }>;

/** Minutes asked for in one request: 12 hours, far under Prometheus' 11,000 points per series. */
const CHUNK_MINUTES = 720;
/** The last minutes are asked for again each pass: a scrape that reached Prometheus late fills its gap. */
const REQUERY_MINUTES = 3;

export interface QualityWorkerOptions {
  /** Pause between passes; by default each pass runs 10 s after the minute turns. */
  intervalMs?: number;
  /** How long one Prometheus request may take. */
  timeoutMs?: number;
  /** Chunks (12 h each) one expression may catch up per pass. */
  maxChunks?: number;
}

/** `http://user:pass@host:9090/prefix` → the base URL without credentials and its Basic header. */
function prometheusEndpoint(base: string): { url: string; headers: Record<string, string> } {
  const u = new URL(base);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (u.username || u.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  return { url: u.toString().replace(/\/+$/, ''), headers };
}

/**
 * One `query_range` call. Prometheus answers `{ status, data: { resultType: "matrix", result:
 * [{ metric, values: [[unixSeconds, "value"], …] }] } }`, or `{ status: "error", errorType,
 * error }` with a 4xx for a bad expression (Prometheus answered: only that expression fails).
 * Anything else — refused, timed out, a 5xx, a body that is not its JSON — is Prometheus not
 * answering, which the NOC sees; the minutes stay gaps.
 */
export async function queryRange(
  base: string,
  expr: string,
  startSeconds: number,
  endSeconds: number,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<QueryOutcome> {
  const { url, headers } = prometheusEndpoint(base);
  const params = new URLSearchParams({ query: expr, start: String(startSeconds), end: String(endSeconds), step: '60' });
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(`${url}/api/v1/query_range`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: params,
      signal,
      redirect: 'error',
    });
  } catch (err) {
    const reason = timeout.aborted ? 'no respondió a tiempo' : `no se pudo conectar (${(err as Error).message})`;
    return { ok: false, prometheusDown: true, error: `Prometheus ${reason}.` };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { ok: false, prometheusDown: true, error: `Prometheus respondió ${res.status} sin JSON.` };
  }
  const doc = body as {
    status?: string;
    error?: string;
    errorType?: string;
    data?: { resultType?: string; result?: unknown };
  };
  if (res.status >= 400 && res.status < 500 && doc.status === 'error')
    return {
      ok: false,
      prometheusDown: false,
      error: `Prometheus rechazó la expresión (${doc.errorType}): ${doc.error}`,
    };
  if (res.status !== 200 || doc.status !== 'success')
    return { ok: false, prometheusDown: true, error: `Prometheus respondió ${res.status}: ${doc.error ?? 'error'}.` };
  if (doc.data?.resultType !== 'matrix' || !Array.isArray(doc.data.result))
    return {
      ok: false,
      prometheusDown: false,
      error: `La expresión devolvió ${doc.data?.resultType ?? 'otra cosa'}, no una serie de tiempo (matrix).`,
    };
  const series = (doc.data.result as PrometheusSeries[]).map((s) => ({
    metric: s.metric ?? {},
    values: (s.values ?? []).map(([t, v]) => [Number(t), String(v)] as [number, string]),
  }));
  return { ok: true, series };
}

/**
 * One pass over the mapping: each expression from the first minute it has not covered (the last
 * 24 hours the first time, at most 14 days back) up to the current minute, in 12-hour requests;
 * answers stored in short transactions of about 20,000 points. Once Prometheus does not answer,
 * the rest of the pass is not asked (each would wait for the same timeout) and is recorded so.
 */
export async function pullQuality(
  deps: Pick<AppDeps, 'db' | 'now' | 'config'>,
  options: { signal?: AbortSignal; timeoutMs?: number; maxChunks?: number } = {},
): Promise<{ samples: number; failed: number }> {
  const { db, config } = deps;
  const base = config.prometheusUrl;
  if (!base) return { samples: 0, failed: 0 };
  const current = minuteOf(deps.now());
  let samples = 0;
  let failed = 0;
  let down: string | null = null;
  // Answers are stored together, in one short transaction per ~20,000 points: a pass of 100
  // series writes once, a long catch-up in several steps that let requests in between.
  let pending: PullResult[] = [];
  let pendingPoints = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    pendingPoints = 0;
    samples += (await backgroundWrite(db, () => recordPull(db, batch, deps.now()), { attempts: 5 })).samples;
  };
  for (const source of qualitySettingsRow(db).sources) {
    for (const metric of qualityMetrics) {
      const expr = source.metrics[metric];
      if (expr === undefined || options.signal?.aborted) continue;
      const covered = pullCoveredUntil(db, sourceKey(source.target.id, metric)) ?? current - FIRST_PULL_MINUTES;
      let from = Math.max(Math.min(covered, current - REQUERY_MINUTES), current - RAW_RETENTION_MINUTES + 1);
      const results: PullResult[] = [];
      for (let chunk = 0; chunk < (options.maxChunks ?? 4) && from < current; chunk++) {
        const to = Math.min(from + CHUNK_MINUTES, current);
        // The point at t speaks of the minute that ends at t (db/domain/quality.ts): minutes
        // [from, to) are the points from (from + 1) × 60 s to to × 60 s.
        const outcome: QueryOutcome = down
          ? { ok: false, prometheusDown: true, error: down }
          : await queryRange(base, expr, (from + 1) * 60, to * 60, options);
        if (!outcome.ok) {
          results.push({ source, metric, outcome });
          if (outcome.prometheusDown) down = outcome.error;
          failed++;
          break;
        }
        results.push({ source, metric, outcome: { ok: true, series: outcome.series, fromMinute: from, toMinute: to } });
        from = to;
      }
      if (results.length === 0 || options.signal?.aborted) continue;
      pending.push(...results);
      for (const r of results) if (r.outcome.ok) for (const x of r.outcome.series) pendingPoints += x.values.length;
      if (pendingPoints >= 20_000) await flush();
    }
  }
  if (!options.signal?.aborted) await flush();
  return { samples, failed };
}

export function qualityWorker(options: QualityWorkerOptions = {}): BackgroundWorker {
  return {
    name: 'quality',
    start(deps) {
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      let running: Promise<void> | undefined;
      let agedHour = -1;
      const pass = async () => {
        try {
          await pullQuality(deps, { signal: abort.signal, timeoutMs: options.timeoutMs, maxChunks: options.maxChunks });
          if (abort.signal.aborted) return;
          await backgroundWrite(deps.db, () => evaluateQualityThresholds(deps.db, deps.now()), { attempts: 5 });
          const hour = Math.floor(deps.now().getTime() / 3_600_000);
          if (hour !== agedHour) {
            await backgroundWrite(deps.db, () => ageQualityData(deps.db, deps.now()), { attempts: 5 });
            agedHour = hour;
          }
        } catch (err) {
          if (!abort.signal.aborted && !isDatabaseBusy(err)) console.error('Calidad de la red:', err);
        }
      };
      const schedule = () => {
        if (abort.signal.aborted) return;
        // 10 s after the minute turns, so Prometheus has scraped the minute that just ended.
        const delay = options.intervalMs ?? 60_000 - ((Date.now() - 10_000) % 60_000);
        timer = setTimeout(run, delay);
        timer.unref();
      };
      const run = () => {
        if (running) return schedule();
        running = pass().finally(() => {
          running = undefined;
        });
        schedule();
      };
      run();
      return async () => {
        abort.abort();
        clearTimeout(timer);
        await running;
      };
    },
  };
}
