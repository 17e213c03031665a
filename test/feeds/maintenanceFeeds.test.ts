import { beforeAll, describe, expect, it } from 'vitest';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { testApp } from '../support/db.ts';

// Maintenance notices in the news feeds, beside incident updates, through the real app.
const t = testApp();
const base = 'https://status.example.test';
const ids: Record<string, string> = {};
type Update = { id: string; status: string; somnet: { kind: string } };
let announcementBeforeReschedule: { guid?: string; content?: string; description?: string } = {};

const text = async (path: string, headers: Record<string, string> = {}) => {
  const res = await t.app.request(path, { headers });
  return { res, text: await res.text() };
};
async function ok(res: Response | Promise<Response>, status = 201) {
  const r = await res;
  const body = await r.json();
  expect(r.status, JSON.stringify(body)).toBe(status);
  return body;
}
const updatesOf = async (id: string): Promise<Update[]> =>
  (await ok(t.json('GET', `/api/v1/maintenances/${id}`), 200)).incident_updates;
const link = (maintenanceId: string, updateId: string) =>
  `${base}/mantenimiento/${maintenanceId}#actualizacion-${updateId}`;

beforeAll(async () => {
  // 26 Nov 2026, 12:00 in Mexico City: a window announced with 5 days' notice, in low-impact hours,
  // with a name that needs escaping and no automatic component change.
  t.clock.set('2026-11-26T18:00:00Z');
  ids.metepec = (
    await ok(
      t.json('POST', '/api/v1/maintenances', {
        name: 'Cambio de <OLT> & tarjetas en Metepec',
        body: 'Sustitución de tarjetas de línea.',
        scheduled_for: '2026-12-01T00:00:00-06:00',
        scheduled_until: '2026-12-01T03:00:00-06:00',
        components: ['metepec'],
        impact_kind: 'degraded',
        auto_transition: false,
      }),
    )
  ).id;
  const rss = parseRssFeed((await text('/feed.rss')).text);
  const item = rss.items!.find((i) => i.title?.startsWith('[Programado] Cambio'))!;
  announcementBeforeReschedule = {
    guid: item.guid?.value,
    content: item.content?.encoded,
    description: item.description,
  };

  t.clock.set('2026-11-26T18:05:00Z');
  await ok(
    t.json('POST', '/api/v1/incidents', {
      name: 'Lentitud en Metepec',
      status: 'investigating',
      body: 'Revisando.',
      components: { 'metepec-fibra': 'degraded_performance' },
    }),
  );

  t.clock.set('2026-11-26T18:10:00Z');
  await ok(
    t.json('PATCH', `/api/v1/maintenances/${ids.metepec}`, {
      scheduled_for: '2026-12-02T00:00:00-06:00',
      scheduled_until: '2026-12-02T02:00:00-06:00',
      reschedule_reason: 'Material retrasado.',
    }),
    200,
  );

  // An emergency window that starts at once, is verified and completed: four notices.
  t.clock.set('2026-11-26T18:20:00Z');
  ids.lerma = (
    await ok(
      t.json('POST', '/api/v1/maintenances', {
        name: 'Reemplazo de fuente en Lerma',
        body: 'Fuente dañada en el nodo de Lerma.',
        scheduled_for: '2026-11-26T18:20:00Z',
        scheduled_until: '2026-11-26T19:20:00Z',
        components: ['lerma-fibra'],
        emergency: true,
        emergency_reason: 'Riesgo de caída total del nodo.',
      }),
    )
  ).id;
  t.clock.set('2026-11-26T18:30:00Z');
  await ok(
    t.json('POST', `/api/v1/maintenances/${ids.lerma}/updates`, {
      status: 'verifying',
      body: 'Fuente sustituida; verificando enlaces.',
    }),
  );
  t.clock.set('2026-11-26T18:40:00Z');
  await ok(
    t.json('POST', `/api/v1/maintenances/${ids.lerma}/updates`, { status: 'completed', body: 'Trabajo concluido.' }),
  );

  // Announced, then cancelled.
  t.clock.set('2026-11-26T18:45:00Z');
  ids.toluca = (
    await ok(
      t.json('POST', '/api/v1/maintenances', {
        name: 'Ajuste de antenas en Toluca',
        body: 'Alineación de antenas.',
        scheduled_for: '2026-12-03T01:00:00-06:00',
        scheduled_until: '2026-12-03T02:00:00-06:00',
        components: ['toluca-inalambrico'],
      }),
    )
  ).id;
  t.clock.set('2026-11-26T18:50:00Z');
  await ok(
    t.json('POST', `/api/v1/maintenances/${ids.toluca}/cancel`, { body: 'Cancelado: se hará junto con otra ventana.' }),
    200,
  );
});

describe('maintenance notices in /feed.*', () => {
  it('gives one item per notice, newest first, interleaved with incident updates', async () => {
    const { res, text: xml } = await text('/feed.rss');
    expect(res.status).toBe(200);
    const feed = parseRssFeed(xml);
    const titles = feed.items!.map((i) => i.title);
    expect(titles).toHaveLength(9);
    expect(titles.slice(0, 4)).toEqual([
      '[Cancelado] Ajuste de antenas en Toluca',
      '[Programado] Ajuste de antenas en Toluca',
      '[Completado] Reemplazo de fuente en Lerma',
      '[En verificación] Reemplazo de fuente en Lerma',
    ]);
    // Announcement and start of the emergency window share an instant.
    expect(new Set(titles.slice(4, 6))).toEqual(
      new Set(['[En curso] Reemplazo de fuente en Lerma', '[Programado] Reemplazo de fuente en Lerma']),
    );
    expect(titles.slice(6)).toEqual([
      '[Reprogramado] Cambio de <OLT> & tarjetas en Metepec',
      '[Investigando] Lentitud en Metepec',
      '[Programado] Cambio de <OLT> & tarjetas en Metepec',
    ]);
  });

  it('links every notice to its anchor on /mantenimiento/:id, with the update id as GUID', async () => {
    const feed = parseRssFeed((await text('/feed.rss')).text);
    for (const [key, name] of [
      ['metepec', 'Cambio de <OLT>'],
      ['lerma', 'Reemplazo de fuente'],
      ['toluca', 'Ajuste de antenas'],
    ] as const) {
      const expected = (await updatesOf(ids[key])).map((u) => link(ids[key], u.id));
      const items = feed.items!.filter((i) => i.title?.includes(name));
      expect(new Set(items.map((i) => i.guid?.value))).toEqual(new Set(expected));
      expect(new Set(items.map((i) => i.link))).toEqual(new Set(expected));
    }
    const announced = feed.items!.find((i) => i.title === '[Programado] Cambio de <OLT> & tarjetas en Metepec')!;
    expect(new Date(announced.pubDate!).toISOString()).toBe('2026-11-26T18:00:00.000Z');
    expect(announced.categories?.map((c) => c.name)).toEqual([
      'Metepec · Fibra óptica',
      'Metepec · Inalámbrico (microondas)',
    ]);
  });

  it('puts the window in Mexico City time, affected components and expected impact in the content', async () => {
    const feed = parseRssFeed((await text('/feed.rss')).text);
    const rescheduled = feed.items!.find((i) => i.title?.startsWith('[Reprogramado]'))!.content?.encoded ?? '';
    expect(rescheduled).toMatch(
      /Ventana:<\/strong> 2 dic 2026,? 00:00 – 2 dic 2026,? 02:00 \(hora del centro de México\)/,
    );
    expect(rescheduled).toContain('Afectación esperada:</strong> Servicio degradado');
    expect(rescheduled).toContain(
      'Componentes afectados:</strong> Metepec · Fibra óptica, Metepec · Inalámbrico (microondas)',
    );
    expect(rescheduled).toContain('Horario:</strong> Dentro del horario de bajo impacto (00:00–04:00)');
    expect(rescheduled).toContain('Motivo: Material retrasado.');
    const started =
      feed.items!.find((i) => i.title === '[En curso] Reemplazo de fuente en Lerma')!.content?.encoded ?? '';
    expect(started).toContain('Mantenimiento de emergencia:</strong> Riesgo de caída total del nodo.');
    expect(started).toContain('Lerma · Fibra óptica: Operativo → En mantenimiento');
    // 12:20–13:20 in Mexico City: outside the low-impact hours.
    expect(started).toMatch(
      /Ventana:<\/strong> 26 nov 2026,? 12:20 – 26 nov 2026,? 13:20 \(hora del centro de México\)/,
    );
    expect(started).toContain('Fuera del horario de bajo impacto');
    const completed =
      feed.items!.find((i) => i.title === '[Completado] Reemplazo de fuente en Lerma')!.content?.encoded ?? '';
    expect(completed).toContain('Lerma · Fibra óptica: En mantenimiento → Operativo');
    expect(completed).toContain('<p>Trabajo concluido.</p>');
  });

  it('keeps an earlier notice as it was published when the window is rescheduled later', async () => {
    const feed = parseRssFeed((await text('/feed.rss')).text);
    const item = feed.items!.find((i) => i.guid?.value === announcementBeforeReschedule.guid)!;
    expect(item.title).toBe('[Programado] Cambio de <OLT> & tarjetas en Metepec');
    expect(item.content?.encoded).toBe(announcementBeforeReschedule.content);
    expect(item.description).toBe(announcementBeforeReschedule.description);
    expect(item.content?.encoded).toMatch(/Ventana:<\/strong> 1 dic 2026,? 00:00 – 1 dic 2026,? 03:00/);
  });

  it('is in Atom and JSON Feed 1.1 too, escaped per format, and under /history.*', async () => {
    const atom = parseAtomFeed((await text('/feed.atom')).text);
    expect(atom.entries).toHaveLength(9);
    const entry = atom.entries!.find((e) => e.title?.value?.startsWith('[Reprogramado]'))!;
    expect(entry.title?.value).toBe('[Reprogramado] Cambio de &lt;OLT&gt; &amp; tarjetas en Metepec');
    expect(entry.id).toMatch(new RegExp(`^${base}/mantenimiento/${ids.metepec}#actualizacion-[a-z0-9]+$`));
    expect(entry.updated).toBe('2026-11-26T18:10:00.000Z');
    expect(entry.categories?.map((c) => c.term)).toEqual(['metepec-fibra', 'metepec-inalambrico']);

    const json = JSON.parse((await text('/feed.json')).text);
    expect(json.version).toBe('https://jsonfeed.org/version/1.1');
    const parsed = parseJsonFeed(JSON.stringify(json));
    const cancelled = parsed.items!.find((i) => i.title === '[Cancelado] Ajuste de antenas en Toluca')!;
    expect(cancelled.url).toMatch(new RegExp(`^${base}/mantenimiento/${ids.toluca}#actualizacion-`));
    expect(cancelled.tags).toEqual(['Toluca · Inalámbrico (microondas)']);
    expect(cancelled.date_published).toBe('2026-11-26T18:50:00.000Z');

    expect(parseRssFeed((await text('/history.rss')).text).items).toHaveLength(9);
    expect(parseAtomFeed((await text('/history.atom')).text).entries).toHaveLength(9);
  });
});

describe('maintenance notices in component and area feeds', () => {
  it('lists a window only in the feeds of what it affects', async () => {
    const titles = async (path: string) => (parseRssFeed((await text(path)).text).items ?? []).map((i) => i.title);
    const metepecFibra = await titles('/componentes/metepec-fibra/feed.rss');
    expect(metepecFibra).toEqual([
      '[Reprogramado] Cambio de <OLT> & tarjetas en Metepec',
      '[Investigando] Lentitud en Metepec',
      '[Programado] Cambio de <OLT> & tarjetas en Metepec',
    ]);
    // The microwave link is in the window but not in the incident.
    expect(await titles('/componentes/metepec-inalambrico/feed.rss')).toEqual([
      '[Reprogramado] Cambio de <OLT> & tarjetas en Metepec',
      '[Programado] Cambio de <OLT> & tarjetas en Metepec',
    ]);
    expect(await titles('/componentes/lerma/feed.rss')).toHaveLength(4);
    expect(await titles('/componentes/lerma-inalambrico/feed.rss')).toEqual([]);
    expect(await titles('/componentes/toluca/feed.rss')).toEqual([
      '[Cancelado] Ajuste de antenas en Toluca',
      '[Programado] Ajuste de antenas en Toluca',
    ]);
    expect(await titles('/componentes/zinacantepec/feed.rss')).toEqual([]);
    const json = JSON.parse((await text('/componentes/lerma-fibra/feed.json')).text);
    expect(json.items.map((i: { title: string }) => i.title)).toContain(
      '[En verificación] Reemplazo de fuente en Lerma',
    );
  });
});

describe('caching with maintenance', () => {
  it('keeps bytes stable across re-renders; Last-Modified follows maintenance changes, even an edit without a notice', async () => {
    const first = await text('/feed.atom');
    expect(first.res.headers.get('last-modified')).toBe('Thu, 26 Nov 2026 18:50:00 GMT');
    t.deps.cache.clear();
    expect((await text('/feed.atom')).text).toBe(first.text);

    // Renaming writes no update row, but the items show the new name: the feed changed.
    t.clock.set('2026-11-26T18:55:00Z');
    await ok(t.json('PATCH', `/api/v1/maintenances/${ids.metepec}`, { name: 'Cambio de tarjetas en Metepec' }), 200);
    const after = await text('/feed.atom');
    expect(after.res.headers.get('last-modified')).toBe('Thu, 26 Nov 2026 18:55:00 GMT');
    expect(
      (await t.app.request('/feed.atom', { headers: { 'if-modified-since': first.res.headers.get('last-modified')! } }))
        .status,
    ).toBe(200);
    expect(
      (await t.app.request('/feed.atom', { headers: { 'if-none-match': first.res.headers.get('etag')! } })).status,
    ).toBe(200);
    const entries = parseAtomFeed(after.text).entries!;
    expect(entries.map((e) => e.id)).toEqual(parseAtomFeed(first.text).entries!.map((e) => e.id));
    expect(entries.some((e) => e.title?.value === '[Programado] Cambio de tarjetas en Metepec')).toBe(true);
    const component = await text('/componentes/metepec-inalambrico/feed.rss');
    expect(component.res.headers.get('last-modified')).toBe('Thu, 26 Nov 2026 18:55:00 GMT');
  });

  it('a group feed for an area with no windows and no incidents has no items and still answers', async () => {
    const res = await t.app.request('/componentes/san-mateo-atenco/feed.atom');
    expect(res.status).toBe(200);
    expect(parseAtomFeed(await res.text()).entries ?? []).toHaveLength(0);
  });
});
