// `npm run export -- DIR`: one complete snapshot, from the same code as PUBLISH_DIR.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';
import { fileFor } from '../../api/publish/files.ts';
import { pathFor, publicRoutes } from '../../api/publish/routes.ts';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { createMaintenance } from '#db/commands/maintenances.ts';
import { freshDb } from '../support/db.ts';

const runExport = (args: string[], databasePath: string) =>
  spawnSync(process.execPath, [join(projectRoot, 'api', 'export.ts'), ...args], {
    env: { ...process.env, DATABASE_PATH: databasePath, PUBLIC_URL: 'https://status.somnet.com.mx' },
    encoding: 'utf8',
  });

describe('npm run export', () => {
  it('writes a complete tree into an empty directory', async () => {
    const db = freshDb({ now: new Date(Date.now() - 10 * 86_400_000) });
    const now = new Date();
    const incident = createIncident(
      db,
      {
        name: 'Corte de fibra en Metepec',
        status: 'identified',
        impact: 'critical',
        body: 'Cuadrilla en camino.',
        components: { 'metepec-fibra': 'major_outage' },
      },
      { now, actor: systemActor },
    );
    // Resolved a week ago: history, compressed for disk (gzip 6, no brotli); the open one stays hot.
    const old = createIncident(
      db,
      {
        name: 'Saturación resuelta en Lerma',
        status: 'resolved',
        impact: 'minor',
        body: 'Se amplió la capacidad del enlace; el servicio es normal.',
        components: { 'lerma-inalambrico': 'degraded_performance' },
      },
      { now: new Date(now.getTime() - 7 * 86_400_000), actor: systemActor },
    );
    const maintenance = createMaintenance(
      db,
      {
        name: 'Cambio de tarjetas',
        body: 'Cortes breves.',
        scheduledFor: new Date(now.getTime() + 4 * 86_400_000),
        scheduledUntil: new Date(now.getTime() + 4 * 86_400_000 + 3_600_000),
        components: ['toluca'],
      },
      { now, actor: systemActor },
    ).maintenance;
    const areaSlugs = db.$client.prepare('SELECT slug FROM component_groups').pluck().all() as string[];
    const slugs = db.$client
      .prepare('SELECT slug FROM components UNION SELECT slug FROM component_groups')
      .pluck()
      .all() as string[];
    const databasePath = db.$client.name;
    db.$client.close();

    const dir = join(mkdtempSync(join(tmpdir(), 'somnet-export-')), 'sitio');
    const run = runExport([dir], databasePath);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Publicación completa en .*sitio: \d+ rutas, \d+ archivos escritos/m);

    const month = (d: Date) =>
      new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Mexico_City', year: 'numeric', month: '2-digit' })
        .format(d)
        .slice(0, 7);
    const members: Record<string, string[]> = {
      incidents: [incident.id, old.id],
      maintenances: [maintenance.id],
      historyMonths: [month(now)],
      calendarMonths: [month(now), month(maintenance.scheduledFor)],
      catalogue: slugs,
      // From the catalogue's first status event (10 days ago) to now: one month or two.
      availabilityMonths: [...new Set([month(new Date(now.getTime() - 10 * 86_400_000)), month(now)])],
      areas: ['metepec', 'toluca'],
      // Every area has a quality page (an area nobody measures says so).
      qualityAreas: areaSlugs,
      qualityOverview: [''],
    };
    for (const route of publicRoutes) {
      for (const path of route.each ? members[route.each].map((m) => pathFor(route, m)) : [route.path]) {
        const file = join(dir, fileFor(path));
        // A history page is its .gz alone (deploy/nginx.conf decompresses it for a client without gzip).
        const gz = existsSync(`${file}.gz`) ? readFileSync(`${file}.gz`) : undefined;
        expect(existsSync(file) || (gz !== undefined && file.endsWith('index.html')), path).toBe(true);
        const bytes = existsSync(file) ? readFileSync(file) : gunzipSync(gz!);
        if (bytes.length >= 512) expect(gz && gunzipSync(gz).equals(bytes), `${path}.gz`).toBe(true);
      }
    }
    const compressedForms = (path: string) => {
      const file = join(dir, fileFor(path));
      return { plain: existsSync(file), gz: existsSync(`${file}.gz`), br: existsSync(`${file}.br`) };
    };
    for (const hot of ['/', `/incidentes/${incident.id}`, '/feed.rss', `/historial/${month(now)}`])
      expect(compressedForms(hot), hot).toEqual({ plain: true, gz: true, br: true });
    expect(compressedForms(`/incidentes/${old.id}`)).toEqual({ plain: false, gz: true, br: false });
    expect(readFileSync(join(dir, fileFor(`/incidentes/${old.id}`) + '.gz'))[0]).toBe(0x1f);
    expect(readdirSync(join(dir, '_astro')).length).toBeGreaterThan(0);
    // The SOMNET mark is in the snapshot too: nginx must not answer /favicon.ico with a 404.
    for (const icon of ['favicon.ico', 'favicon.svg', 'apple-touch-icon.png'])
      expect(existsSync(join(dir, icon)), icon).toBe(true);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('Corte de fibra en Metepec');
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain(
      '<link rel="canonical" href="https://status.somnet.com.mx/"',
    );

    // Run again: only what shows the time of its rendering is rewritten; the rest keeps its
    // file, its mtime and so its validators. Which files state a time is fixed, whichever minute
    // each run falls in: /status.txt states the minute of its rendering, /disponibilidad and the
    // network-quality files (/calidad, each area's page and JSON) the minute their figures count
    // to. A file is listed when its mtime is not older than the second the run began in.
    const incidentPage = join(dir, fileFor(`/incidentes/${incident.id}`));
    const mtime = statSync(incidentPage).mtimeMs;
    await new Promise((r) => setTimeout(r, 1_100 - (Date.now() % 1000)));
    const secondRun = Math.floor(Date.now() / 1000);
    const again = runExport([dir], databasePath);
    expect(again.status, again.stderr).toBe(0);
    const rewritten: string[] = [];
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const full = join(d, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (!entry.name.startsWith('.') && statSync(full).mtimeMs / 1000 >= secondRun)
          rewritten.push(full.slice(dir.length + 1).replace(/\.(gz|br)$/, ''));
      }
    };
    walk(dir);
    const stating = new Set([
      'status.txt',
      'disponibilidad/index.html',
      'calidad/index.html',
      ...members.qualityAreas.flatMap((slug) => [`calidad/${slug}/index.html`, `calidad/${slug}.json`]),
    ]);
    expect([...new Set(rewritten)].filter((file) => !stating.has(file))).toEqual([]);
    expect(Number(/ (\d+) archivos escritos, 0 retirados/.exec(again.stdout)?.[1])).toBe(new Set(rewritten).size);
    expect(statSync(incidentPage).mtimeMs).toBe(mtime);
  });

  it('refuses, with one line, a directory that holds something else, and a missing argument', () => {
    const db = freshDb();
    const databasePath = db.$client.name;
    db.$client.close();
    const foreign = mkdtempSync(join(tmpdir(), 'somnet-ajeno-'));
    writeFileSync(join(foreign, 'notas.txt'), 'mías');
    const refused = runExport([foreign], databasePath);
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('no está vacío');
    expect(readFileSync(join(foreign, 'notas.txt'), 'utf8')).toBe('mías');
    const usage = runExport([], databasePath);
    expect(usage.status).toBe(1);
    expect(usage.stderr).toContain('Uso: npm run export -- DIRECTORIO');
  });
});
