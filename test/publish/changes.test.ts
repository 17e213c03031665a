// What the publisher republishes for each kind of audited write: real commands on a real
// database, read back through the change log (changesSince) as the publisher reads it. The table
// has a case for every subject type of db/auditSubjects.ts: a new one does not compile here
// until it has its own.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyMigrations, migrationsFolder, openDatabase } from '#db/client.ts';
import { auditSubjectOf, privateSubjectTypes, type SubjectType } from '#db/auditSubjects.ts';
import { createComponent, findComponent, updateComponent, updateGroup } from '#db/commands/catalog.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { createMaintenance } from '#db/commands/maintenances.ts';
import { endSubscription, requestSubscription, unsubscribeAddress } from '#db/commands/subscribers.ts';
import { submitFeasibilityRequest } from '#db/commands/feasibility.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { endOwnSession, signIn } from '#db/commands/consoleSessions.ts';
import { onCommit } from '#db/commands/transaction.ts';
import { ageQualityData } from '#db/commands/quality.ts';
import { changeCursor, changesSince } from '#db/queries/index.ts';
import { changeFrom, isEmpty, type Change } from '../../api/publish/changes.ts';
import { stalePaths } from '../../api/publish/publisher.ts';
import { addUser } from '../console/support.ts';
import { inventory } from '../services/fixtures.ts';
import { tempDatabasePath, testApp } from '../support/db.ts';

const t = testApp();
const ctx = () => ({ now: t.clock.now(), actor: { kind: 'user' as const, name: 'guardia@somnet.com.mx' } });
const idOf = (slug: string) => findComponent(t.db, slug)!.id;
const groupIdOf = (slug: string) =>
  t.db.$client.prepare('SELECT id FROM component_groups WHERE slug = ?').pluck().get(slug) as string;

/** Runs `write`, then reads what it committed as the publisher does: the audited subjects and the change. */
async function written(write: () => unknown) {
  const cursor = changeCursor(t.db);
  let commits = 0;
  const off = onCommit(t.db, () => commits++);
  try {
    await write();
  } finally {
    off();
  }
  const read = changesSince(t.db, cursor);
  return {
    types: new Set(read.audited.map((r) => r.subjectType)),
    change: changeFrom(read.audited, read.statusChangedComponentIds, read.qualityAreaIds),
    /** Whether the page cache was told (runCommand's listeners). */
    commits,
  };
}

async function api(method: string, path: string, body: unknown) {
  const res = await t.json(method, path, body);
  expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
  return res.json();
}

const only = (change: Change) => ({
  everything: change.everything,
  site: change.site,
  incidents: [...change.incidents],
  maintenances: [...change.maintenances],
  components: [...change.components],
  qualityAreas: [...change.qualityAreas],
});
const nothing = { everything: false, site: false, incidents: [], maintenances: [], components: [], qualityAreas: [] };

const ring = [
  [-99.7, 19.2],
  [-99.6, 19.2],
  [-99.6, 19.3],
  [-99.7, 19.3],
  [-99.7, 19.2],
];

/** One real write per subject type, and what the publisher must make of it. */
const cases = {
  incident: async () => {
    const { types, change, commits } = await written(() =>
      createIncident(
        t.db,
        {
          name: 'Corte de fibra en Metepec',
          status: 'identified',
          impact: 'critical',
          body: 'Cuadrilla en camino.',
          components: { 'metepec-fibra': 'major_outage' },
        },
        ctx(),
      ),
    );
    expect(types).toContain('incident');
    const id = [...change.incidents][0];
    expect(only(change)).toEqual({ ...nothing, site: true, incidents: [id], components: [idOf('metepec-fibra')] });
    expect(commits).toBe(1);
    const paths = stalePaths(change, false, t.db, t.clock.now());
    for (const path of ['/', `/incidentes/${id}`, '/componentes/metepec-fibra/feed.rss', '/zonas/metepec'])
      expect(paths.has(path), path).toBe(true);
    expect(paths.has('/componentes/lerma-fibra/feed.rss')).toBe(false);
  },
  maintenance: async () => {
    const { types, change } = await written(() =>
      createMaintenance(
        t.db,
        {
          name: 'Cambio de tarjetas en Zinacantepec',
          body: 'Cortes breves.',
          scheduledFor: new Date('2026-12-03T06:00:00Z'),
          scheduledUntil: new Date('2026-12-03T09:00:00Z'),
          components: ['zinacantepec'],
        },
        ctx(),
      ),
    );
    expect(types).toContain('maintenance');
    const id = [...change.maintenances][0];
    expect(only(change)).toEqual({ ...nothing, site: true, maintenances: [id] });
    const paths = stalePaths(change, false, t.db, t.clock.now());
    expect(paths.has(`/mantenimiento/${id}`)).toBe(true);
    expect(paths.has('/mantenimiento/mes/2026-12')).toBe(true);
  },
  component: async () => {
    // A status alone: the component's own pages and the site-wide ones.
    const status = await written(() => updateComponent(t.db, 'lerma-fibra', { status: 'partial_outage' }, ctx()));
    expect(status.types).toContain('component');
    expect(only(status.change)).toEqual({ ...nothing, site: true, components: [idOf('lerma-fibra')] });
    const paths = stalePaths(status.change, false, t.db, t.clock.now());
    expect(paths.has('/componentes/lerma-fibra/badge.svg')).toBe(true);
    expect(paths.has('/componentes/toluca-fibra/badge.svg')).toBe(false);
    // A new component: its own pages too.
    const created = await written(() => createComponent(t.db, { name: 'Enlace dedicado', group: 'lerma' }, ctx()));
    expect(only(created.change)).toEqual({ ...nothing, site: true, components: [idOf('enlace-dedicado')] });
    // A name or description shows where the component is named: those pages, not all history.
    for (const patch of [{ name: 'Fibra óptica (FTTH)' }, { description: 'Red FTTH' }]) {
      const renamed = await written(() => updateComponent(t.db, 'lerma-fibra', patch, ctx()));
      expect(renamed.change.everything, JSON.stringify(patch)).toBe(false);
      expect([...renamed.change.renamedComponents]).toEqual([idOf('lerma-fibra')]);
      const paths = stalePaths(renamed.change, false, t.db, t.clock.now());
      expect(paths.has('/componentes/toluca-fibra/feed.rss')).toBe(true);
      expect(paths.has('/')).toBe(true);
    }
    // A slug, area or position changes paths and lists: everything.
    for (const patch of [{ position: 9 }, { slug: 'lerma-ftth' }]) {
      const moved = await written(() => updateComponent(t.db, 'lerma-fibra', patch, ctx()));
      expect(moved.change.everything, JSON.stringify(patch)).toBe(true);
    }
    await written(() => updateComponent(t.db, 'lerma-ftth', { slug: 'lerma-fibra' }, ctx()));
    // A status sent with another field is more than a status.
    const both = await written(() =>
      updateComponent(t.db, 'lerma-fibra', { status: 'operational', group: 'metepec' }, ctx()),
    );
    expect(both.change.everything).toBe(true);
  },
  group: async () => {
    const { types, change } = await written(() => updateGroup(t.db, 'lerma', { description: 'Valle de Lerma' }, ctx()));
    expect(types).toContain('group');
    expect(change.everything).toBe(true);
  },
  coverage: async () => {
    const { types, change } = await written(() =>
      api('PUT', '/api/v1/coverage', {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            geometry: { type: 'Polygon', coordinates: [ring] },
            properties: { area: 'toluca', technology: 'fiber', locality: 'Toluca oriente' },
          },
        ],
      }),
    );
    expect(types).toContain('coverage');
    expect(only(change)).toEqual({ ...nothing, site: true });
    const paths = stalePaths(change, false, t.db, t.clock.now());
    expect(paths.has('/cobertura')).toBe(true);
    expect(paths.has('/api/coverage.geojson')).toBe(true);
  },
  // Private: nothing is republished, and the page cache is not told.
  subscriber: () =>
    expectPrivate('subscriber', () =>
      requestSubscription(t.db, { email: 'cliente@empresa.mx', ip: '198.51.100.7' }, ctx()),
    ),
  user: () => expectPrivate('user', () => addUser(t.db, 'guardia2@somnet.com.mx', 'noc', 'clave-de-guardia-larga')),
  token: () => expectPrivate('token', () => createApiToken(t.db, 'monitoreo', t.clock.now())),
  session: async () => {
    addUser(t.db, 'sesiones@somnet.com.mx', 'noc', 'clave-de-guardia-larga', { mustChange: false });
    await signIn(
      t.db,
      { email: 'sesiones@somnet.com.mx', password: 'clave-de-guardia-larga', address: '198.51.100.7' },
      t.clock.now(),
    );
    const session = t.db.$client
      .prepare('SELECT id, user_id AS userId FROM console_sessions ORDER BY id DESC LIMIT 1')
      .get() as { id: number; userId: number };
    await expectPrivate('session', () => endOwnSession(t.db, session.userId, session.id, ctx()));
  },
  webhook: () => {
    process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS = '1';
    return expectPrivate('webhook', () => api('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook' }));
  },
  feasibility_request: () =>
    expectPrivate('feasibility_request', () =>
      submitFeasibilityRequest(
        t.db,
        {
          company: 'Maquiladora del Valle SA',
          contact_name: 'Laura Pérez',
          email: 'laura@maquiladora.mx',
          phone: '722 123 4567',
          latitude: '19.5012',
          longitude: '-99.2033',
          address: 'Carretera Toluca–Atlacomulco km 12',
          service: 'fiber',
          bandwidth: '',
          notes: '',
        },
        '198.51.100.7',
        ctx(),
      ),
    ),
  alert_rules: () =>
    expectPrivate('alert_rules', () => api('PUT', '/api/v1/alert-rules', { default: { mode: 'propose' }, rules: [] })),
  // With rules that only propose, an alert opens a draft and changes no status: nothing public.
  alert: () => expectPrivate('alert', () => api('POST', '/api/v1/alerts', radioDown)),
  incident_draft: () =>
    expectPrivate('incident_draft', () => api('POST', '/api/v1/alerts', { ...radioDown, id: '78', summary: 'Otra' })),
  // The same delivery again: noted, never audited.
  alert_delivery: async () => {
    await api('POST', '/api/v1/alerts', { ...radioDown, id: '79' });
    const { types, change, commits } = await written(() => api('POST', '/api/v1/alerts', { ...radioDown, id: '79' }));
    expect(types.size).toBe(0);
    expect(isEmpty(change)).toBe(true);
    expect(commits).toBe(0);
  },
  service: () => expectPrivate('service', () => api('PUT', '/api/v1/services', inventory)),
  // Samples are noted, not audited: the areas they touched come from the ingest log, and only
  // those areas' quality pages (and /calidad) are republished, never the site-wide ones.
  quality: async () => {
    const minuteAgo = new Date(t.clock.now().getTime() - 60_000).toISOString();
    const { types, change, commits } = await written(() =>
      api('POST', '/api/v1/quality', {
        series: [{ component: 'metepec-fibra', metric: 'latency_ms', samples: [[minuteAgo, 12.5]] }],
      }),
    );
    expect(types.size).toBe(0);
    expect(only(change)).toEqual({ ...nothing, qualityAreas: [groupIdOf('metepec')] });
    expect(commits).toBe(1);
    const paths = stalePaths(change, false, t.db, t.clock.now());
    expect(paths.has('/calidad/metepec')).toBe(true);
    expect(paths.has('/calidad/lerma')).toBe(false);
    expect(paths.has('/')).toBe(false);
  },
  // The Prometheus mapping and the thresholds are the NOC's: no public page shows them.
  quality_sources: () =>
    expectPrivate('quality_sources', () =>
      api('PUT', '/api/v1/quality/sources', {
        sources: [{ component: 'metepec-fibra', metrics: { latency_ms: 'probe_icmp_duration_seconds * 1000' } }],
      }),
    ),
  quality_thresholds: () =>
    expectPrivate('quality_thresholds', () =>
      api('PUT', '/api/v1/quality/thresholds', {
        thresholds: [{ area: 'metepec', rules: [{ metric: 'loss_pct', above: 2 }] }],
      }),
    ),
  // Ageing (and a pull that brought no samples) only notes the pull state: nothing public.
  quality_state: async () => {
    expect(privateSubjectTypes).toContain('quality_state');
    const { types, change, commits } = await written(() => ageQualityData(t.db, t.clock.now()));
    expect(types.size).toBe(0);
    expect(only(change)).toEqual(nothing);
    expect(commits).toBe(0);
  },
} satisfies Record<SubjectType, () => unknown>;

const radioDown = {
  source: 'librenms',
  id: '77',
  status: 'firing',
  component: 'zinacantepec-inalambrico',
  severity: 'critical',
  summary: 'Radio Zinacantepec sin enlace',
};

async function expectPrivate(type: SubjectType, write: () => unknown) {
  expect(privateSubjectTypes).toContain(type);
  const { types, change, commits } = await written(write);
  expect(types).toContain(type);
  expect(only(change)).toEqual(nothing);
  expect(commits).toBe(0);
}

describe('what each kind of audited write republishes', () => {
  // In order: the private alert cases rely on alert_rules' "propose".
  for (const [type, run] of Object.entries(cases)) it(type, run);

  it('an alert that changes a status republishes that component only', async () => {
    await api('PUT', '/api/v1/alert-rules', { default: { mode: 'automatic' }, rules: [] });
    const { types, change } = await written(() =>
      api('POST', '/api/v1/alerts', { ...radioDown, id: '90', component: 'toluca-inalambrico' }),
    );
    expect(types).toContain('alert');
    expect(only(change)).toEqual({ ...nothing, site: true, components: [idOf('toluca-inalambrico')] });
  });

  it('an unsubscribe or a provider report for an address never subscribed leaves the pages alone', async () => {
    for (const write of [
      () => unsubscribeAddress(t.db, 'sms', '+527221234567', ctx()),
      () => endSubscription(t.db, 'telegram', '123456789', 'bot bloqueado', ctx()),
    ]) {
      const { types, change, commits } = await written(write);
      expect(types.size).toBe(0);
      expect(only(change)).toEqual(nothing);
      expect(commits).toBe(0);
    }
  });

  it('a stored row of a type this version does not write republishes everything', async () => {
    const { change } = await written(() =>
      t.db.$client
        .prepare(
          "INSERT INTO audit_log (at, actor_kind, actor_name, action, subject_type, subject_id) VALUES (?, 'cli', 'otra versión', 'area_note.create', 'area_note', 'x')",
        )
        .run(Date.now()),
    );
    expect(change.everything).toBe(true);
  });
});

describe('audit_log.changed for rows written before it existed', () => {
  it('is filled from the details by the migration, so a publisher catching up republishes what it did before', () => {
    // A database as the previous version left it: every migration but the one adding the column.
    const folder = mkdtempSync(join(tmpdir(), 'somnet-migraciones-'));
    cpSync(migrationsFolder, folder, { recursive: true });
    const journalPath = join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
    const upgrade = journal.entries.findIndex((e) => e.tag.endsWith('_audit_changed'));
    expect(upgrade).toBeGreaterThan(0);
    journal.entries = journal.entries.slice(0, upgrade);
    writeFileSync(journalPath, JSON.stringify(journal));
    const path = tempDatabasePath();
    const old = openDatabase(path, { migrate: false });
    applyMigrations(old, folder);
    const insert = old.$client.prepare(
      "INSERT INTO audit_log (at, actor_kind, actor_name, action, subject_type, subject_id, details) VALUES (0, 'cli', 'noc', ?, ?, ?, ?)",
    );
    const rows: Array<[string, string, string | null, string | null]> = [
      ['component.create', 'component', 'c1', '{"name":"Nuevo","status":"operational"}'],
      ['component.update', 'component', 'c1', '{"status":"major_outage"}'],
      ['component.update', 'component', 'c1', '{"name":"Otro","group":"lerma"}'],
      ['component.update', 'component', 'c1', null],
      ['component.update', 'component', 'c1', 'no es json'],
      ['incident.create', 'incident', 'i1', '{"name":"Corte"}'],
    ];
    for (const row of rows) insert.run(...row);
    old.$client.close();

    const db = openDatabase(path);
    const stored = db.$client
      .prepare('SELECT subject_type, subject_id, changed FROM audit_log ORDER BY id')
      .all() as Array<{
      subject_type: string;
      subject_id: string | null;
      changed: string | null;
    }>;
    expect(stored.map((r) => r.changed)).toEqual(['"created"', '["status"]', '["name","group"]', '[]', null, null]);
    expect(
      stored.map((r) =>
        auditSubjectOf({ type: r.subject_type, id: r.subject_id, changed: r.changed && JSON.parse(r.changed) }),
      ),
    ).toEqual([
      { type: 'component', id: 'c1', changed: 'created' },
      { type: 'component', id: 'c1', changed: ['status'] },
      { type: 'component', id: 'c1', changed: ['name', 'group'] },
      { type: 'component', id: 'c1', changed: [] },
      // Details that were never JSON: the publisher republishes everything rather than guess.
      null,
      { type: 'incident', id: 'i1' },
    ]);
    db.$client.close();
  });
});
