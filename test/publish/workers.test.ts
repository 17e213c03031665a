// A full publish rendered by render workers (child processes: api/publish/renderPool.ts,
// PUBLISH_WORKERS) writes the same bytes as the main thread rendering every path itself, history
// stored the same way.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { createMaintenance } from '#db/commands/maintenances.ts';
import { MANIFEST } from '../../api/publish/files.ts';
import { RenderPool } from '../../api/publish/renderPool.ts';
import { Publisher } from '../../api/publish/publisher.ts';
import { loadSite } from '../../api/server.ts';
import { freshDb, testConfig } from '../support/db.ts';

/** Every file under `dir`, relative, without the manifest. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name !== MANIFEST) out.set(full.slice(dir.length + 1), readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

describe('a full publish in render workers', () => {
  it('writes the same files, byte for byte, as the main thread alone', async () => {
    const now = new Date('2026-11-26T18:00:00Z');
    const db = freshDb({ now: new Date('2025-06-01T12:00:00Z') });
    const day = 86_400_000;
    // History over a year and a half (resolved incidents, a finished window), and what is current.
    for (let i = 0; i < 24; i++) {
      createIncident(
        db,
        {
          name: `Falla resuelta ${i + 1} en Lerma`,
          status: 'resolved',
          impact: 'minor',
          body: `Se restableció el enlace ${i + 1}; el servicio es normal.`,
          components: { [i % 2 ? 'lerma-inalambrico' : 'metepec-fibra']: 'partial_outage' },
        },
        { now: new Date(now.getTime() - (500 - i * 20) * day), actor: systemActor },
      );
    }
    const open = createIncident(
      db,
      {
        name: 'Corte de fibra en Metepec',
        status: 'identified',
        impact: 'critical',
        body: 'Cuadrilla en camino.',
        components: { 'metepec-fibra': 'major_outage' },
      },
      { now: new Date(now.getTime() - 3_600_000), actor: systemActor },
    );
    createMaintenance(
      db,
      {
        name: 'Cambio de tarjetas',
        body: 'Cortes breves.',
        scheduledFor: new Date(now.getTime() + 4 * day),
        scheduledUntil: new Date(now.getTime() + 4 * day + 3_600_000),
        components: ['toluca'],
      },
      { now, actor: systemActor },
    );
    const { deps, renderPublic } = await loadSite({ db, config: testConfig, now: () => now });
    const publishInto = async (size: number, exclusive = false) => {
      const root = mkdtempSync(join(tmpdir(), `somnet-workers-${size}-`));
      const dir = join(root, 'public');
      const publisher = new Publisher({
        db,
        dir,
        render: renderPublic,
        staticFiles: deps.staticFiles,
        now: () => now,
        pool: { config: testConfig, size },
        exclusive,
        // The files it changed, as a sync to a CDN gets them.
        command: `cp "$PUBLISH_CHANGED_FILES" ${join(root, 'changed.txt')}`,
        log: () => {},
      });
      const started = Math.floor(Date.now() / 1000);
      const report = await publisher.publishAll();
      await publisher.stop();
      const changed = readFileSync(join(root, 'changed.txt'), 'utf8').split('\n').filter(Boolean);
      expect(report.failed).toEqual([]);
      const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files: Record<string, string> };
      return {
        dir,
        files: tree(dir),
        threads: publisher.renderedInThreads,
        rendered: report.rendered,
        etags: manifest.files,
        changed,
        started,
      };
    };
    const serial = await publishInto(0);
    const threaded = await publishInto(2);
    // As `npm run export` publishes: into an empty directory of its own, the workers write the files.
    const exported = await publishInto(2, true);
    expect(serial.threads).toBe(0);
    for (const other of [threaded, exported]) {
      // `npm run export` waits for its workers to load the site: the paths are theirs.
      expect(other.threads).toBeGreaterThan(other.rendered / 2);
      expect([...other.files.keys()].sort()).toEqual([...serial.files.keys()].sort());
      const differ = [...serial.files].filter(([name, bytes]) => !other.files.get(name)!.equals(bytes));
      expect(differ.map(([name]) => name)).toEqual([]);
      expect(other.etags).toEqual(serial.etags);
    }
    // What the workers wrote is recorded as if this process had written it: every file in the
    // list of changes (PUBLISH_COMMAND's), readable by nginx, dated by the publish's second.
    expect(exported.changed).toEqual([...exported.files.keys()].sort());
    for (const name of exported.files.keys()) {
      const stat = statSync(join(exported.dir, name));
      expect((stat.mode & 0o777).toString(8), name).toBe('644');
      expect(Math.floor(stat.mtimeMs / 1000), name).toBeGreaterThanOrEqual(exported.started);
    }
    expect(statSync(join(exported.dir, 'incidentes', open.id)).mode & 0o777).toBe(0o755);
    // History is there as its .gz alone, the open incident with all three forms.
    expect(serial.files.size).toBeGreaterThan(100);
    const historyPages = [...serial.files.keys()].filter((f) => /^incidentes\/[^/]+\/index\.html\.gz$/.test(f));
    expect(historyPages.length).toBeGreaterThanOrEqual(24);
    expect(serial.files.has(`incidentes/${open.id}/index.html`)).toBe(true);
    expect(serial.files.has(`incidentes/${open.id}/index.html.br`)).toBe(true);
    db.$client.close();
  });

  it('renders what was committed before each batch, though a worker keeps the catalogue, status events and feeds between batches', async () => {
    const now = new Date('2026-11-26T18:00:00Z');
    const db = freshDb({ now: new Date('2026-09-01T12:00:00Z') });
    const { renderPublic } = await loadSite({ db, config: testConfig, now: () => now });
    const pool = new RenderPool({ config: testConfig, size: 1, databasePath: db.$client.name });
    try {
      await pool.ready;
      // A component's three feeds (kept between them), its area's feed, a month of availability and its CSV.
      const paths = [
        '/componentes/metepec-fibra/feed.rss',
        '/componentes/metepec-fibra/feed.atom',
        '/componentes/metepec-fibra/feed.json',
        '/disponibilidad/2026-11',
        '/disponibilidad/2026-11.csv',
      ];
      const inWorker = async () => {
        const out = new Map<string, string>();
        for (const path of paths) {
          const result = await pool.render({ path, compression: 'hot', now: now.getTime() });
          if (result.kind !== 'entry' || !result.body) throw new Error(`${path}: ${JSON.stringify(result)}`);
          out.set(path, Buffer.from(result.body).toString());
        }
        return out;
      };
      const inProcess = async () =>
        new Map(
          await Promise.all(
            paths.map(async (p) => [p, (await renderPublic(p, { fresh: true }))!.body.toString()] as const),
          ),
        );
      const before = await inWorker();
      expect(before).toEqual(await inProcess());
      // Another connection commits: an outage of Metepec's fibre this month.
      createIncident(
        db,
        {
          name: 'Corte de fibra en Metepec',
          status: 'resolved',
          impact: 'critical',
          body: 'Se empalmó la fibra.',
          components: { 'metepec-fibra': 'major_outage' },
          startedAt: new Date('2026-11-20T15:00:00Z'),
        },
        { now: new Date('2026-11-20T17:00:00Z'), actor: systemActor },
      );
      const after = await inWorker();
      expect(after).toEqual(await inProcess());
      for (const path of paths) expect(after.get(path), path).not.toBe(before.get(path));
      expect(after.get('/componentes/metepec-fibra/feed.rss')).toContain('Corte de fibra en Metepec');
    } finally {
      await pool.close();
      db.$client.close();
    }
  });

  it('sends a history page back as its .gz alone (the plain body is never written), a hot one whole', async () => {
    const now = new Date('2026-11-26T18:00:00Z');
    const db = freshDb({ now: new Date('2026-09-01T12:00:00Z') });
    const resolved = createIncident(
      db,
      {
        name: 'Falla resuelta en Lerma',
        status: 'resolved',
        impact: 'minor',
        body: 'Se restableció el enlace; el servicio es normal.',
        components: { 'lerma-inalambrico': 'partial_outage' },
      },
      { now: new Date('2026-10-02T12:00:00Z'), actor: systemActor },
    );
    const { renderPublic } = await loadSite({ db, config: testConfig, now: () => now });
    const pool = new RenderPool({ config: testConfig, size: 1, databasePath: db.$client.name });
    try {
      await pool.ready;
      const path = `/incidentes/${resolved.id}`;
      const plain = (await renderPublic(path, { fresh: true }))!.body;
      const history = await pool.render({ path, compression: 'history', now: now.getTime() });
      if (history.kind !== 'entry') throw new Error(JSON.stringify(history));
      expect(history.body).toBeNull();
      expect(history.bodyLength).toBe(plain.length);
      expect(history.br).toBeNull();
      expect(gunzipSync(history.gzip!).equals(plain)).toBe(true);
      // The same page as a hot file: its plain body, gzip and brotli forms all come back.
      const hot = await pool.render({ path, compression: 'hot', now: now.getTime() });
      if (hot.kind !== 'entry') throw new Error(JSON.stringify(hot));
      expect(Buffer.from(hot.body!).equals(plain)).toBe(true);
      expect(hot.bodyLength).toBe(plain.length);
      expect(hot.br).not.toBeNull();
      // A past month's CSV is history but keeps its plain file: its body comes back.
      const csv = await pool.render({
        path: '/disponibilidad/2026-10.csv',
        compression: 'history',
        now: now.getTime(),
      });
      if (csv.kind !== 'entry') throw new Error(JSON.stringify(csv));
      expect(csv.body).not.toBeNull();
    } finally {
      await pool.close();
      db.$client.close();
    }
  });
});
