// PUBLISH_DIR: the running server writes the public site there and keeps it current — after
// every committed write (debounced), from another process's writes too, and when time alone
// changes a page — replacing files atomically, each with its .gz and .br.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'csv-parse/sync';
import { openDatabase } from '#db/client.ts';
import { updateComponent } from '#db/commands/catalog.ts';
import { publishIncidentUpdate } from '#db/commands/incidents.ts';
import { advanceMaintenances } from '#db/commands/maintenances.ts';
import { systemActor } from '#db/commands/audit.ts';
import { fileFor, MANIFEST, MANIFEST_JOURNAL, SnapshotDir, SnapshotDirError } from '../../api/publish/files.ts';
import { makeEntry } from '../../api/cache.ts';
import { pathFor, publicRoutes } from '../../api/publish/routes.ts';
import { freshDb, testClock, testConfig } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { loadSite, startServer } from '../../api/server.ts';
import { Publisher } from '../../api/publish/publisher.ts';

const clock = testClock('2026-11-26T18:00:00Z');
const dir = join(mkdtempSync(join(tmpdir(), 'somnet-publish-')), 'public');
const marker = join(dir, '..', 'publish-command.log');
/** Each run of PUBLISH_COMMAND appends its two lists here, after a line `-- run` and before `-- end`. */
const lists = join(dir, '..', 'publish-lists.log');
/** The runs whose lists are written whole (another run may be appending while the test reads). */
const completeRuns = () =>
  (existsSync(lists) ? readFileSync(lists, 'utf8') : '')
    .split('-- run\n')
    .filter((run) => run.endsWith('-- end\n'))
    .map((run) => {
      const [changed, removed] = run.slice(0, -'-- end\n'.length).split('-- removed\n');
      return { changed: changed!.split('\n').filter(Boolean), removed: removed!.split('\n').filter(Boolean) };
    });
let s: Awaited<ReturnType<typeof startTestServer>>;
let incidentId: string;
let otherIncidentId: string;
let maintenanceId: string;

const file = (path: string) => join(dir, fileFor(path));
/** The file a reader gets: the plain one, or the .gz alone of a history page (a resolved incident, a past month). */
const onDisk = (path: string) => (existsSync(file(path)) ? file(path) : `${file(path)}.gz`);
const published = (path: string) =>
  existsSync(file(path)) ? readFileSync(file(path)) : gunzipSync(readFileSync(`${file(path)}.gz`));
const served = async (path: string) => Buffer.from(await (await fetch(`${s.url}${path}`)).arrayBuffer());

beforeAll(async () => {
  const db = freshDb();
  s = await startTestServer({
    db,
    now: clock.now,
    publishDir: dir,
    publishCommand: `echo "$PUBLISH_DIR" >> '${marker}'; { echo '-- run'; cat "$PUBLISH_CHANGED_FILES"; echo '-- removed'; cat "$PUBLISH_REMOVED_FILES"; echo '-- end'; } >> '${lists}'`,
  });
  const api = async (method: string, path: string, body: unknown) => {
    const res = await s.api(method, path, body);
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return res.json();
  };
  otherIncidentId = (
    await api('POST', '/api/v1/incidents', {
      name: 'Saturación en Lerma',
      status: 'resolved',
      impact: 'minor',
      body: 'Resuelto.',
      components: { 'lerma-inalambrico': 'degraded_performance' },
    })
  ).id;
  incidentId = (
    await api('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Metepec',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en camino.',
      cause: 'Corte de fibra por obra civil',
      eta: '2026-11-26T16:00:00-06:00',
      components: { 'metepec-fibra': 'major_outage' },
    })
  ).id;
  maintenanceId = (
    await api('POST', '/api/v1/maintenances', {
      name: 'Cambio de tarjetas en Zinacantepec',
      body: 'Cortes breves.',
      scheduled_for: '2026-12-03T00:00:00-06:00',
      scheduled_until: '2026-12-03T03:00:00-06:00',
      components: ['zinacantepec'],
    })
  ).id;
  await s.publisher!.settled();
});
afterAll(async () => {
  await s?.close();
});

describe('the published snapshot (PUBLISH_DIR)', () => {
  it('holds every public route, byte for byte what Node serves, with compressed siblings', async () => {
    // One path of every route in the list (a member of each family).
    const member: Record<string, string[]> = {
      incidents: [incidentId],
      maintenances: [maintenanceId],
      historyMonths: ['2026-11'],
      calendarMonths: ['2026-12'],
      availabilityMonths: ['2026-11'],
      catalogue: ['metepec', 'metepec-fibra', 'zinacantepec'],
      areas: ['metepec', 'zinacantepec'],
      qualityAreas: ['metepec'],
      qualityOverview: [''],
    };
    const sample = publicRoutes.flatMap((route) =>
      route.each ? member[route.each].map((m) => pathFor(route, m)) : [route.path],
    );
    expect(sample.length).toBeGreaterThan(publicRoutes.length);
    for (const path of sample) {
      expect(existsSync(file(path)), path).toBe(true);
      const bytes = published(path);
      expect(bytes.equals(await served(path)), path).toBe(true);
      if (bytes.length >= 512) {
        expect(gunzipSync(readFileSync(`${file(path)}.gz`)).equals(bytes), `${path}.gz`).toBe(true);
        expect(brotliDecompressSync(readFileSync(`${file(path)}.br`)).equals(bytes), `${path}.br`).toBe(true);
      }
    }
    // The build's assets and a manifest nginx never serves; no temporary file left behind.
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(manifest.files).some((p) => p.startsWith('/_astro/'))).toBe(true);
    expect(Object.keys(manifest.files)).not.toContain('/noc');
    expect(readFileSync(marker, 'utf8')).toContain(dir);
  });

  it('re-publishes what an update changed, and only that, one publish for a burst', async () => {
    // The clock's own tick on the wall-clock minute is a publish of its own (a loaded machine
    // once ran this test across one and counted 2): keep the burst clear of it.
    const toMinute = 60_000 - (Date.now() % 60_000);
    if (toMinute < 5_000) await new Promise((r) => setTimeout(r, toMinute + 250));
    await s.publisher!.settled();
    // Every PUBLISH_COMMAND started so far (one marker line each) has written its lists.
    const started = () => readFileSync(marker, 'utf8').split('\n').filter(Boolean).length;
    await vi.waitFor(() => expect(completeRuns().length).toBe(started()), { timeout: 10_000 });
    const runsBefore = completeRuns().length;
    const untouched = statSync(onDisk(`/incidentes/${otherIncidentId}`)).mtimeMs;
    // Resolved: history, stored as its .gz alone.
    expect(onDisk(`/incidentes/${otherIncidentId}`)).toMatch(/index\.html\.gz$/);
    const before = s.publisher!.publishes;
    // A burst: six updates committed one after another (as a bulk change or a script would).
    for (let i = 1; i <= 6; i++) {
      publishIncidentUpdate(
        s.db,
        incidentId,
        { status: 'identified', body: `Avance número ${i} de la cuadrilla.` },
        { now: clock.now(), actor: systemActor },
      );
    }
    await s.publisher!.settled();
    expect(s.publisher!.publishes - before).toBe(1);
    for (const path of [
      '/',
      `/incidentes/${incidentId}`,
      '/feed.rss',
      '/componentes/metepec-fibra/feed.rss',
      '/componentes/metepec/feed.atom',
    ]) {
      expect(published(path).toString(), path).toContain('Avance número 6 de la cuadrilla.');
    }
    expect(
      JSON.parse(published('/api/v2/incidents/unresolved.json').toString()).incidents[0].incident_updates[0].body,
    ).toBe('Avance número 6 de la cuadrilla.');
    expect(statSync(onDisk(`/incidentes/${otherIncidentId}`)).mtimeMs).toBe(untouched);
    // PUBLISH_COMMAND got the files this publish wrote (with their compressed forms), not the tree.
    const run = await vi.waitFor(
      () => {
        const found = completeRuns()
          .slice(runsBefore)
          .find((r) => r.changed.includes(`incidentes/${incidentId}/index.html`));
        expect(found).toBeDefined();
        return found!;
      },
      { timeout: 10_000 },
    );
    const { changed, removed } = run;
    expect(changed).toEqual(expect.arrayContaining(['index.html', 'index.html.gz', 'index.html.br', 'feed.rss']));
    expect(changed).not.toContain(`incidentes/${otherIncidentId}/index.html`);
    expect(changed.length).toBeLessThan(120);
    expect(removed).toEqual([]);
  });

  it('re-publishes, for a renamed component, the pages that name it, not all history', async () => {
    await s.publisher!.settled();
    const lerma = statSync(onDisk(`/incidentes/${otherIncidentId}`)).mtimeMs;
    updateComponent(s.db, 'metepec-fibra', { name: 'Fibra óptica FTTH' }, { now: clock.now(), actor: systemActor });
    await s.publisher!.settled();
    expect(s.publisher!.lastReport!.full).toBe(false);
    expect(s.publisher!.backlogRemaining).toBe(0);
    expect(published(`/incidentes/${incidentId}`).toString()).toContain('Fibra óptica FTTH');
    expect(published('/').toString()).toContain('Fibra óptica FTTH');
    expect(published('/componentes/metepec-fibra/feed.rss').toString()).toContain('Fibra óptica FTTH');
    // Lerma's incident does not name it: its file was left alone.
    expect(statSync(onDisk(`/incidentes/${otherIncidentId}`)).mtimeMs).toBe(lerma);
    expect(published(`/incidentes/${otherIncidentId}`).equals(await served(`/incidentes/${otherIncidentId}`))).toBe(
      true,
    );
    for (const path of [`/incidentes/${incidentId}`, `/incidentes/${otherIncidentId}`])
      expect(published(path).equals(await served(path)), path).toBe(true);
  });

  it('publishes writes made by another process (the noc CLI)', async () => {
    const other = openDatabase(s.db.$client.name);
    updateComponent(
      other,
      'lerma-fibra',
      { status: 'partial_outage' },
      { now: clock.now(), actor: { kind: 'cli', name: 'prueba' } },
    );
    other.$client.close();
    await s.publisher!.settled();
    expect(published('/componentes/lerma-fibra/badge.svg').toString()).toContain('Intermitencia');
    expect(published('/status.txt').toString()).toContain('Lerma');
  });

  it('keeps every published file, feeds included, byte-equal to Node after a status change elsewhere', async () => {
    // A status change republishes only the touched components' feeds; a feed whose times came
    // from every catalogue row would then differ from Node's in <updated> / lastBuildDate.
    // What time alone changes is republished by the clock's tick first; then, 20 s later, a status change.
    clock.set('2026-11-26T18:35:00Z');
    s.publisher!.tick();
    await s.publisher!.settled();
    clock.set('2026-11-26T18:35:20Z');
    updateComponent(
      s.db,
      'metepec-fibra',
      { status: 'degraded_performance' },
      { now: clock.now(), actor: systemActor },
    );
    await s.publisher!.settled();
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files: Record<string, string> };
    const feeds = Object.keys(manifest.files).filter((p) => /\/(feed|history)\.(rss|atom|json)$/.test(p));
    expect(feeds.length).toBeGreaterThan(20);
    for (const path of feeds) expect(published(path).equals(await served(path)), path).toBe(true);
    const differ: string[] = [];
    for (const path of Object.keys(manifest.files).filter((p) => !p.startsWith('/_astro/')))
      if (!published(path).equals(await served(path))) differ.push(path);
    // And every other published file too (an area's bars state the minute they count to: a
    // change elsewhere must not move it).
    expect(differ).toEqual([]);
    clock.set('2026-11-26T18:30:00Z');
  });

  it('puts a 70-second outage in the published figures as soon as it is resolved', async () => {
    clock.set('2026-11-26T18:41:10Z');
    updateComponent(s.db, 'zinacantepec-fibra', { status: 'major_outage' }, { now: clock.now(), actor: systemActor });
    clock.set('2026-11-26T18:42:20Z');
    updateComponent(s.db, 'zinacantepec-fibra', { status: 'operational' }, { now: clock.now(), actor: systemActor });
    await s.publisher!.settled();
    const csv = parse(published('/disponibilidad/2026-11.csv'), { columns: true, bom: true }) as Array<
      Record<string, string>
    >;
    const row = csv.find((r) => r.slug === 'zinacantepec-fibra')!;
    expect(Number(row.minutos_sin_servicio)).toBeCloseTo(70 / 60, 2);
    // Counted up to the change that ended it, and saying so.
    expect(row.cifras_hasta).toBe('2026-11-26T12:42:20-06:00');
    for (const path of ['/disponibilidad/2026-11', '/disponibilidad']) {
      const html = published(path).toString();
      expect(html, path).toContain('al 26 nov 2026, 12:42, hora del centro de México');
      expect(html.slice(html.indexOf('id="zona-zinacantepec"')), path).toMatch(
        /<th scope="row">Fibra óptica<\/th>[\s\S]*?data-label="Sin servicio">\s*1 min\s*</,
      );
      expect(published(path).equals(await served(path)), path).toBe(true);
    }
    const json = (await (await s.api('GET', '/api/v1/reports/availability?month=2026-11')).json()) as {
      groups: Array<{ slug: string; components: Array<{ slug: string; minutes: { without_service: number } }> }>;
    };
    const zinacantepec = json.groups.find((g) => g.slug === 'zinacantepec')!.components[0];
    expect(zinacantepec).toMatchObject({ slug: 'zinacantepec-fibra', minutes: { without_service: 1.17 } });
    clock.set('2026-11-26T18:30:00Z');
  });

  it('re-publishes what changes with time alone when its time comes', async () => {
    const day = (d: string) => published('/').toString().includes(d);
    expect(day('26 de noviembre de 2026')).toBe(true);
    clock.set('2026-11-28T07:00:00Z'); // 01:00 on 28 November in Mexico City
    s.publisher!.tick();
    await s.publisher!.settled();
    expect(day('28 de noviembre de 2026')).toBe(true);
    clock.set('2026-11-26T18:30:00Z');
  });

  it('re-publishes "próximos 7 días" when a window comes within them, and the pages of a window that starts on schedule', async () => {
    const created = await s.api('POST', '/api/v1/maintenances', {
      name: 'Migración de OLT en Lerma',
      body: 'Cortes de 5 minutos.',
      scheduled_for: '2026-12-09T00:00:00-06:00',
      scheduled_until: '2026-12-09T03:00:00-06:00',
      components: ['lerma'],
    });
    expect(created.status).toBe(201);
    await s.publisher!.settled();
    const home = () => published('/').toString();
    const nextSevenDays = () => home().slice(home().indexOf('id="mantenimiento-proximo"'));
    expect(nextSevenDays()).not.toContain('Migración de OLT en Lerma'); // 12 days away
    // Time alone: 2 December 01:00 in Mexico City, Lerma's window is 6 days away. Nothing is written.
    clock.set('2026-12-02T07:00:00Z');
    s.publisher!.tick();
    await s.publisher!.settled();
    expect(nextSevenDays()).toContain('Migración de OLT en Lerma');
    expect(home()).not.toContain('Mantenimiento en curso');
    // 3 December 00:30: Zinacantepec's window began at 00:00; the scheduler starts it (its command).
    clock.set('2026-12-03T06:30:00Z');
    expect(advanceMaintenances(s.db, clock.now()).map((step) => step.action)).toContain('started');
    await s.publisher!.settled();
    expect(home()).toMatch(/Mantenimiento en curso \(1\)[\s\S]*Cambio de tarjetas en Zinacantepec/);
    expect(
      JSON.parse(published('/api/v2/scheduled-maintenances/active.json').toString()).scheduled_maintenances.map(
        (m: { name: string }) => m.name,
      ),
    ).toEqual(['Cambio de tarjetas en Zinacantepec']);
    expect(published(`/mantenimiento/${maintenanceId}`).toString()).toContain('En curso');
    clock.set('2026-11-26T18:30:00Z');
  });

  it('after a restart, catches up from where it stopped instead of publishing everything again', async () => {
    await s.close();
    // Written while no server runs (the noc CLI, a restore…).
    publishIncidentUpdate(
      s.db,
      incidentId,
      { status: 'monitoring', body: 'En observación tras el empalme.' },
      { now: clock.now(), actor: systemActor },
    );
    const untouched = statSync(onDisk(`/incidentes/${otherIncidentId}`)).mtimeMs;
    s = await startTestServer({ db: s.db, now: clock.now, publishDir: dir });
    await s.publisher!.settled();
    expect(s.publisher!.lastReport!.full).toBe(false);
    expect(published(`/incidentes/${incidentId}`).toString()).toContain('En observación tras el empalme.');
    expect(published('/').toString()).toContain('En observación tras el empalme.');
    expect(statSync(onDisk(`/incidentes/${otherIncidentId}`)).mtimeMs).toBe(untouched);
  });

  it('logs a file it cannot write and writes it on a later try', async () => {
    const own = join(dir, '..', 'reintentos');
    const { renderPublic, deps } = await loadSite({ db: s.db, config: testConfig, now: clock.now });
    const lines: string[] = [];
    const publisher = new Publisher({
      db: s.db,
      dir: own,
      render: renderPublic,
      staticFiles: deps.staticFiles,
      now: clock.now,
      retryMs: 50,
      log: (l) => lines.push(l),
    });
    await publisher.publishAll();
    // Something occupies the file's name (a full or broken disk fails the same way: per file).
    rmSync(join(own, 'status.txt'));
    mkdirSync(join(own, 'status.txt', 'ocupado'), { recursive: true });
    updateComponent(s.db, 'toluca-fibra', { status: 'degraded_performance' }, { now: clock.now(), actor: systemActor });
    publisher.tick();
    await publisher.settled();
    expect(lines.some((l) => l.startsWith('Publicación: /status.txt falló'))).toBe(true);
    rmSync(join(own, 'status.txt'), { recursive: true });
    // The retry comes within a second (one publish a second at most): wait for its file.
    await vi.waitFor(() => expect(existsSync(join(own, 'status.txt'))).toBe(true), { timeout: 10_000, interval: 20 });
    await publisher.settled();
    await publisher.stop();
    expect(readFileSync(join(own, 'status.txt'), 'utf8')).toContain('Toluca');
  });

  it('refuses a directory that holds something else', async () => {
    const foreign = mkdtempSync(join(tmpdir(), 'somnet-ajeno-'));
    writeFileSync(join(foreign, 'tesis.docx'), 'no borrar');
    await expect(
      startServer({ db: freshDb(), config: { ...testConfig, publishDir: foreign }, workers: [] }),
    ).rejects.toThrow(SnapshotDirError);
    expect(readFileSync(join(foreign, 'tesis.docx'), 'utf8')).toBe('no borrar');
  });
});

describe('the snapshot manifest', () => {
  it('records every path and ETag of a directory of many thousands, serialised in slices, read back whole', async () => {
    const many = join(mkdtempSync(join(tmpdir(), 'somnet-manifest-')), 'public');
    const snapshot = new SnapshotDir(many);
    const second = Math.floor(Date.now() / 1000);
    // More paths than one slice of the manifest holds (two boundaries crossed).
    const count = 11_003;
    for (let i = 0; i < count; i++)
      snapshot.write(`/incidentes/${i}`, makeEntry(200, `incidente "${i}"`, { 'content-type': 'text/html' }), second);
    const cursor = { audit: 42, statusEvents: 7 };
    await snapshot.saveManifest({ build: 'b1', publicUrl: 'https://status.somnet.com.mx', cursor });
    const reopened = new SnapshotDir(many);
    expect(reopened.paths).toHaveLength(count);
    expect(reopened.origin).toEqual({ build: 'b1', publicUrl: 'https://status.somnet.com.mx', cursor });
    for (const i of [0, 4_999, 5_000, 10_000, count - 1])
      expect(reopened.etagOnDisk(`/incidentes/${i}`)).toBe(makeEntry(200, `incidente "${i}"`, {}).etag);
  });

  it('after an incremental publish, appends the paths it changed to a journal instead of writing every path again', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'somnet-journal-')), 'public');
    const snapshot = new SnapshotDir(dir);
    const second = Math.floor(Date.now() / 1000);
    const page = (i: number, v: string) => makeEntry(200, `incidente ${i} ${v}`, { 'content-type': 'text/html' });
    for (let i = 0; i < 6_000; i++) snapshot.write(`/incidentes/${i}`, page(i, 'a'), second);
    await snapshot.saveManifest({ build: 'b1', cursor: { audit: 1, statusEvents: 1 } }, { whole: true });
    const whole = readFileSync(join(dir, MANIFEST), 'utf8');
    // Two incremental publishes: a page changed, one removed, one new; then a page changed again.
    snapshot.write('/incidentes/7', page(7, 'b'), second);
    snapshot.remove('/incidentes/8');
    snapshot.write('/incidentes/nuevo', page(0, 'nuevo'), second);
    await snapshot.saveManifest({ build: 'b1', cursor: { audit: 2, statusEvents: 1 } });
    snapshot.write('/incidentes/7', page(7, 'c'), second);
    await snapshot.saveManifest({ build: 'b1', cursor: { audit: 3, statusEvents: 2 } });
    // The manifest of 6,000 paths is not written again; the journal holds three paths in two lines.
    expect(readFileSync(join(dir, MANIFEST), 'utf8')).toBe(whole);
    const journal = readFileSync(join(dir, MANIFEST_JOURNAL), 'utf8');
    expect(journal.trimEnd().split('\n')).toHaveLength(3);
    expect(journal.length).toBeLessThan(1_000);

    const reopened = new SnapshotDir(dir);
    expect(reopened.paths).toHaveLength(6_000);
    expect(reopened.etagOnDisk('/incidentes/7')).toBe(page(7, 'c').etag);
    expect(reopened.has('/incidentes/8')).toBe(false);
    expect(reopened.etagOnDisk('/incidentes/nuevo')).toBe(page(0, 'nuevo').etag);
    expect(reopened.etagOnDisk('/incidentes/9')).toBe(page(9, 'a').etag);
    expect(reopened.origin).toEqual({ build: 'b1', cursor: { audit: 3, statusEvents: 2 } });

    // A process killed while appending: the line cut short and what follows are not applied (the
    // change cursor of the last whole line says what to publish again), and the next save writes
    // the manifest whole, which leaves the old journal behind.
    writeFileSync(join(dir, MANIFEST_JOURNAL), journal + '{"origin":{"build":"b1"},"files":{"/incidentes/7":"W/\\"x');
    const afterCrash = new SnapshotDir(dir);
    expect(afterCrash.etagOnDisk('/incidentes/7')).toBe(page(7, 'c').etag);
    expect(afterCrash.origin).toEqual({ build: 'b1', cursor: { audit: 3, statusEvents: 2 } });
    afterCrash.write('/incidentes/9', page(9, 'b'), second);
    await afterCrash.saveManifest({ build: 'b1', cursor: { audit: 4, statusEvents: 2 } });
    expect(existsSync(join(dir, MANIFEST_JOURNAL))).toBe(false);
    expect(readFileSync(join(dir, MANIFEST), 'utf8')).not.toBe(whole);
    // A journal left beside a newer manifest (a process stopped between the two) is not applied.
    writeFileSync(join(dir, MANIFEST_JOURNAL), journal);
    const newer = new SnapshotDir(dir);
    expect(newer.etagOnDisk('/incidentes/9')).toBe(page(9, 'b').etag);
    expect(newer.etagOnDisk('/incidentes/7')).toBe(page(7, 'c').etag);
    expect(newer.origin).toEqual({ build: 'b1', cursor: { audit: 4, statusEvents: 2 } });
    // Its next line starts a journal of its own in place of the stale one.
    newer.write('/incidentes/10', page(10, 'b'), second);
    await newer.saveManifest({ build: 'b1', cursor: { audit: 5, statusEvents: 2 } });
    expect(new SnapshotDir(dir).etagOnDisk('/incidentes/10')).toBe(page(10, 'b').etag);
    expect(new SnapshotDir(dir).origin).toEqual({ build: 'b1', cursor: { audit: 5, statusEvents: 2 } });
  });

  it('is claimed when a server opens an empty directory, so a second server opening it mid-publish is not refused', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'somnet-claim-')), 'public');
    const first = new SnapshotDir(dir);
    expect(JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'))).toEqual({ version: 1, origin: {}, files: {} });
    // The first server's publish has written a page but not yet its manifest.
    first.write('/', makeEntry(200, 'estado', { 'content-type': 'text/html' }), Math.floor(Date.now() / 1000));
    const second = new SnapshotDir(dir);
    expect(second.paths).toEqual([]);
    expect(second.origin).toEqual({});
    // A directory of someone else's files is still refused.
    const stranger = mkdtempSync(join(tmpdir(), 'somnet-stranger-'));
    writeFileSync(join(stranger, 'notas.txt'), 'mías');
    expect(() => new SnapshotDir(stranger)).toThrow(SnapshotDirError);
  });
});

describe('an exclusive snapshot directory (npm run export)', () => {
  it('writes, replaces and removes the same files as a shared one, without temporary files, and takes the same bytes', async () => {
    const listing = (dir: string) => {
      const out = new Map<string, string>();
      const walk = (d: string) => {
        for (const entry of readdirSync(d, { withFileTypes: true })) {
          const full = join(d, entry.name);
          if (entry.isDirectory()) walk(full);
          else {
            const s = statSync(full);
            out.set(
              full.slice(dir.length + 1),
              `${(s.mode & 0o777).toString(8)} ${Math.floor(s.mtimeMs / 1000)} ${readFileSync(full).toString('base64')}`,
            );
          }
        }
      };
      walk(dir);
      return out;
    };
    const root = mkdtempSync(join(tmpdir(), 'somnet-exclusive-'));
    const shared = new SnapshotDir(join(root, 'shared'));
    const exclusive = new SnapshotDir(join(root, 'exclusive'), { exclusive: true });
    const page = (text: string) => makeEntry(200, `<p>${text}</p>`.repeat(200), { 'content-type': 'text/html' });
    const second = Math.floor(Date.now() / 1000);
    for (const snapshot of [shared, exclusive]) {
      // New files (in new directories), a small one, a page replaced within its second and
      // stored as history (.gz alone), a path removed with its directory.
      expect(snapshot.write('/incidentes/a', page('abierto'), second)).toBe(true);
      expect(snapshot.write('/incidentes/b', page('resuelto'), second, 'history')).toBe(true);
      expect(snapshot.write('/status.txt', makeEntry(200, 'ok', { 'content-type': 'text/plain' }), second)).toBe(true);
      expect(snapshot.write('/incidentes/a', page('abierto'), second)).toBe(false);
      expect(snapshot.write('/incidentes/a', page('resuelto ya'), second, 'history')).toBe(true);
      snapshot.remove('/incidentes/b');
      expect(snapshot.write('/incidentes/b', page('de nuevo'), second)).toBe(true);
      expect(snapshot.etagOnDisk('/incidentes/a')).toBe(page('resuelto ya').etag);
      await snapshot.saveManifest({});
    }
    const a = listing(join(root, 'shared'));
    const b = listing(join(root, 'exclusive'));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, described] of a) expect(b.get(name), name).toBe(described);
    // The replaced page: its .gz alone, a second later than the first version (nginx's ETag).
    expect(b.has('incidentes/a/index.html')).toBe(false);
    expect(b.get('incidentes/a/index.html.gz')).toMatch(new RegExp(`^644 ${second + 1} `));
    expect([...b.keys()].some((n) => n.includes('.tmp-'))).toBe(false);
    // Opened again, it is a snapshot like any other (the manifest), no longer written as new.
    const reopened = new SnapshotDir(join(root, 'exclusive'), { exclusive: true });
    expect(reopened.paths.sort()).toEqual(['/incidentes/a', '/incidentes/b', '/status.txt'].sort());
    expect(reopened.writesInPlace).toBe(false);
  });

  it('is written in place after a first open claimed it with an empty manifest (npm run export checks its argument so)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'somnet-exclusive-')), 'export');
    // `npm run export`'s check of its argument: a shared open, which claims the empty directory.
    new SnapshotDir(dir);
    expect(readdirSync(dir)).toEqual([MANIFEST]);
    const exclusive = new SnapshotDir(dir, { exclusive: true });
    expect(exclusive.writesInPlace).toBe(true);
    const page = makeEntry(200, '<p>resuelto</p>'.repeat(200), { 'content-type': 'text/html' });
    expect(exclusive.write('/incidentes/a', page, Math.floor(Date.now() / 1000), 'history')).toBe(true);
    expect(readdirSync(join(dir, 'incidentes', 'a'))).toEqual(['index.html.gz']);
    // A directory holding files (or a manifest that lists some) is not.
    expect(new SnapshotDir(dir, { exclusive: true }).writesInPlace).toBe(false);
  });
});
