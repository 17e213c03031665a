// Network-quality history for tests and the benchmark, sent the way SOMNET's scripts send it:
// through POST /api/v1/quality, a day at a time with the clock moved along (a push older than
// 14 days is refused, as in production), ageing the data as the worker would.
import { ageQualityData } from '#db/commands/quality.ts';
import type { Db } from '#db/client.ts';

export type Sampler = (minute: number, component: string, metric: string) => number | null;

export interface HistoryOptions {
  db: Db;
  /** POSTs a body to /api/v1/quality (the real app or server) and returns its status. */
  post: (body: unknown) => Promise<number>;
  /** Moves the clock the app reads. */
  setClock: (d: Date) => void;
  series: Array<{ component: string; metric: 'latency_ms' | 'jitter_ms' | 'loss_pct' }>;
  from: Date;
  to: Date;
  /** The value of a minute, or null for no sample (a gap). */
  value: Sampler;
  /** Samples per request (≤ 10,000). */
  batch?: number;
}

const iso = (minute: number) => new Date(minute * 60_000).toISOString();

export async function pushHistory(o: HistoryOptions): Promise<number> {
  const first = Math.floor(o.from.getTime() / 60_000);
  const last = Math.floor(o.to.getTime() / 60_000);
  const batch = o.batch ?? 10_000;
  let sent = 0;
  for (let dayStart = first; dayStart < last; dayStart += 1440) {
    const dayEnd = Math.min(dayStart + 1440, last);
    o.setClock(new Date(dayEnd * 60_000 + 30_000));
    let body: Array<{ component: string; metric: string; samples: Array<[string, number]> }> = [];
    let inBody = 0;
    const flush = async () => {
      if (inBody === 0) return;
      const status = await o.post({ series: body });
      if (status !== 200) throw new Error(`POST /api/v1/quality respondió ${status}`);
      sent += inBody;
      body = [];
      inBody = 0;
    };
    for (const s of o.series) {
      let samples: Array<[string, number]> = [];
      for (let m = dayStart; m < dayEnd; m++) {
        const v = o.value(m, s.component, s.metric);
        if (v === null) continue;
        samples.push([iso(m), v]);
        if (inBody + samples.length >= batch) {
          body.push({ ...s, samples });
          inBody += samples.length;
          samples = [];
          await flush();
        }
      }
      if (samples.length) {
        body.push({ ...s, samples });
        inBody += samples.length;
      }
    }
    await flush();
    ageQualityData(o.db, new Date(dayEnd * 60_000 + 30_000));
  }
  o.setClock(o.to);
  return sent;
}
