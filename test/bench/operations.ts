// `npm run bench:ops`: what watching and backing up the site costs, each number next
// to a reference measured in the same run on the same machine:
// - a scrape of GET /metrics and a GET /healthz through the app, on the demo database and on a
//   big outbox (BENCH_OUTBOX_PENDING pending + BENCH_OUTBOX_SENT delivered messages), next to a
//   cached GET /api/v2/status.json (the cheapest answer the app gives) and the bare count of the
//   pending rows (the floor of any outbox gauge);
// - `backup` and `restore` of both databases, next to copying the same file (cp).
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../api/app.ts';
import { openDatabase, type Db } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { backupDatabase } from '#db/backup/backup.ts';
import { restoreDatabase } from '#db/backup/restore.ts';

const PENDING = Number(process.env.BENCH_OUTBOX_PENDING ?? 100_000);
const SENT = Number(process.env.BENCH_OUTBOX_SENT ?? 1_000_000);
const LOCAL = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timed(runs: number, fn: () => unknown | Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const t = performance.now();
    await fn();
    if (i >= 3) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** `pending` due emails and webhooks, `sent` delivered ones, written as the outbox writes them. */
function fillOutbox(db: Db, pending: number, sent: number): void {
  const insert = db.$client.prepare(
    `INSERT INTO outbox_messages (channel, kind, dedupe_key, recipient, payload, status, attempts, next_attempt_at, created_at, sent_at)
     VALUES (?, 'incident.updated', ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const start = Date.now() - 30 * 86_400_000;
  db.$client.transaction(() => {
    for (let i = 0; i < sent; i++) {
      const at = start + i * 2;
      insert.run(
        i % 10 ? 'email' : 'webhook',
        `sent-${i}`,
        `contacto${i % 50_000}@cliente.mx`,
        '{}',
        'sent',
        1,
        at,
        at,
        at + 500,
      );
    }
    for (let i = 0; i < pending; i++) {
      const at = Date.now() - 600_000 + i;
      const payload = JSON.stringify({ subject: 'Corte de fibra en Metepec', to: `contacto${i}@cliente.mx` });
      insert.run(
        i % 10 ? 'email' : 'webhook',
        `pending-${i}`,
        `contacto${i}@cliente.mx`,
        payload,
        'pending',
        0,
        at,
        at,
        null,
      );
    }
  })();
}

async function measure(label: string, db: Db) {
  const { app } = createApp({
    db,
    config: { port: 0, host: '127.0.0.1', databasePath: db.$client.name, publicUrl: 'https://status.example.test' },
  });
  const get = (path: string) => async () => {
    const res = await app.request(path, {}, LOCAL);
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    await res.arrayBuffer();
  };
  const count = db.$client.prepare("SELECT count(*) FROM outbox_messages WHERE status = 'pending'").pluck();
  const scrape = await timed(50, get('/metrics'));
  const health = await timed(50, get('/healthz'));
  const cached = await timed(50, get('/api/v2/status.json'));
  const bare = await timed(50, () => count.get());
  console.log(`\n${label}`);
  console.log(`  GET /metrics                 p50 ${ms(scrape.p50)}  p95 ${ms(scrape.p95)}`);
  console.log(`  GET /healthz                 p50 ${ms(health.p50)}  p95 ${ms(health.p95)}`);
  console.log(`  ref. GET /api/v2/status.json p50 ${ms(cached.p50)}  (from the render cache)`);
  console.log(`  ref. bare count of pending   p50 ${ms(bare.p50)}  (${count.get()} rows)`);
}

async function backupAndRestore(label: string, path: string) {
  const dir = mkdtempSync(join(tmpdir(), 'somnet-bench-backup-'));
  const backup = await backupDatabase(path, join(dir, 'respaldos'));
  let t = performance.now();
  copyFileSync(path, join(dir, 'cp.db'));
  const cp = performance.now() - t;
  const restored = await restoreDatabase(backup.file, join(dir, 'restaurada', 'somnet.db'));
  t = performance.now();
  copyFileSync(backup.file, join(dir, 'cp2.db'));
  const cp2 = performance.now() - t;
  console.log(
    `  backup (copy + integrity_check) ${ms(backup.ms)} for ${mb(backup.bytes)}; ref. cp of the file ${ms(cp)}`,
  );
  console.log(`  restore (check + copy + migrate + swap) ${ms(restored.ms)}; ref. cp of the backup ${ms(cp2)}`);
  rmSync(dir, { recursive: true, force: true });
  void label;
}

const work = mkdtempSync(join(tmpdir(), 'somnet-bench-ops-'));
const demoPath = join(work, 'demo.db');
const demo = openDatabase(demoPath);
seedDemoCatalogue(demo, new Date());
await measure('Demo database (catalogue only, empty outbox)', demo);
demo.$client.pragma('wal_checkpoint(TRUNCATE)');
await backupAndRestore('demo', demoPath);

const bigPath = join(work, 'big.db');
const big = openDatabase(bigPath);
seedDemoCatalogue(big, new Date());
const t = performance.now();
fillOutbox(big, PENDING, SENT);
big.$client.pragma('wal_checkpoint(TRUNCATE)');
console.log(
  `\n(big outbox written in ${((performance.now() - t) / 1000).toFixed(1)} s; database ${mb(statSync(bigPath).size)})`,
);
await measure(`Big outbox: ${PENDING.toLocaleString('en')} pending + ${SENT.toLocaleString('en')} delivered`, big);
await backupAndRestore('big', bigPath);
demo.$client.close();
big.$client.close();
rmSync(work, { recursive: true, force: true });
