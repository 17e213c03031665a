// Incident reports end to end: the API and the console write versions (audited), the incident
// page, /disponibilidad and the feeds show them sanitised, and the subscribers the incident
// notified can be sent the report through the outbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { emailComposer } from '../../api/email/compose.ts';
import { REPORT_TEMPLATE } from '#db/domain/incidentReport.ts';
import type { OutboxRow } from '#db/outbox/worker.ts';
import { freshDb, testClock, testConfig } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, ConsoleClient, hiddenValue } from '../console/support.ts';

const at = (s: string) => ({ now: new Date(s), actor: systemActor });
const clock = testClock('2026-11-26T18:00:00Z');
const db = freshDb({ now: new Date('2026-11-01T06:00:00Z') });
let s: Awaited<ReturnType<typeof startTestServer>>;
let resolvedId = '';
let openId = '';

const HOSTILE =
  '## Causa raíz\n\nCorte de fibra. <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n[detalles](javascript:alert(1))\n\n## Acciones correctivas\n\n- Ducto nuevo';

beforeAll(async () => {
  // One subscriber of everything (notified by the incident), one of Toluca only (not notified).
  importSubscribers(
    db,
    [{ email: 'noc@cliente.mx' }, { email: 'toluca@cliente.mx', components: ['toluca-fibra'] }],
    at('2026-11-02T12:00:00Z'),
  );
  const incident = createIncident(
    db,
    {
      name: 'Corte de fibra en Metepec',
      impact: 'critical',
      status: 'investigating',
      body: 'Revisamos.',
      components: { 'metepec-fibra': 'major_outage' },
    },
    at('2026-11-10T16:00:00Z'),
  );
  resolvedId = incident.id;
  publishIncidentUpdate(
    db,
    incident.id,
    { status: 'resolved', body: 'Restablecido.', components: { 'metepec-fibra': 'operational' } },
    at('2026-11-10T17:00:00Z'),
  );
  openId = createIncident(
    db,
    {
      name: 'Lentitud en Lerma',
      impact: 'minor',
      status: 'investigating',
      body: 'Revisamos.',
      components: { 'lerma-fibra': 'degraded_performance' },
    },
    at('2026-11-20T16:00:00Z'),
  ).id;
  s = await startTestServer({ db, now: clock.now });
});
afterAll(async () => {
  await s?.close();
});

const put = (id: string, body: unknown, token = s.token) =>
  fetch(`${s.url}/api/v1/incidents/${id}/report`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const get = (path: string) => fetch(`${s.url}${path}`);

describe('incident reports', () => {
  it('PUT /api/v1/incidents/:id/report refuses bad input and writes nothing', async () => {
    const open = await put(openId, { body: '## Causa raíz\n\nx' });
    expect(open.status).toBe(409);
    expect(((await open.json()) as { error: { code: string } }).error.code).toBe('incident_not_resolved');
    const empty = await put(resolvedId, { body: '' });
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as { error: { fields: Array<{ path: string }> } }).error.fields[0].path).toBe('body');
    expect((await put(resolvedId, { body: 'a\u0007b' })).status).toBe(422);
    // The console's template, not filled in.
    const template = await put(resolvedId, { body: REPORT_TEMPLATE });
    expect(template.status).toBe(422);
    expect(
      ((await template.json()) as { error: { fields: Array<{ path: string; message: string }> } }).error.fields[0],
    ).toEqual({ path: 'body', message: 'Complete el informe: la plantilla está sin llenar.' });
    expect((await put(resolvedId, { body: 'x', notify_subscribers: 'sí' })).status).toBe(422);
    expect((await put(resolvedId, { body: 'x' }, 'snt_falso')).status).toBe(401);
    expect((await put('noexiste', { body: 'x' })).status).toBe(404);
    expect(
      (
        await fetch(`${s.url}/api/v1/incidents/${resolvedId}/report`, {
          headers: { authorization: `Bearer ${s.token}` },
        })
      ).status,
    ).toBe(404);
    expect(db.$client.prepare('SELECT count(*) FROM incident_report_versions').pluck().get()).toBe(0);
  });

  it('publishes, keeps the same text as one version, and versions every revision (audited)', async () => {
    clock.set('2026-11-12T18:00:00Z');
    const first = await put(resolvedId, { body: HOSTILE });
    expect(first.status).toBe(201);
    const v1 = (await first.json()) as {
      version: number;
      changed: boolean;
      html: string;
      published_at: string;
      revised_at: string;
    };
    expect(v1).toMatchObject({
      version: 1,
      changed: true,
      published_at: '2026-11-12T18:00:00.000Z',
      revised_at: '2026-11-12T18:00:00.000Z',
    });
    expect(v1.html).not.toMatch(/<script|<img|href="javascript/);
    expect(v1.html).toContain('[detalles](javascript:alert(1))');
    expect(v1.html).toContain('&lt;script&gt;');
    const same = await put(resolvedId, { body: HOSTILE });
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ version: 1, changed: false });
    clock.set('2026-11-14T18:00:00Z');
    const revised = (await (await put(resolvedId, { body: `${HOSTILE}\n- Segundo proveedor` })).json()) as {
      version: number;
      versions: Array<{ version: number }>;
      published_at: string;
      revised_at: string;
    };
    expect(revised).toMatchObject({
      version: 2,
      published_at: '2026-11-12T18:00:00.000Z',
      revised_at: '2026-11-14T18:00:00.000Z',
    });
    expect(revised.versions.map((v) => v.version)).toEqual([2, 1]);
    const audit = db.$client
      .prepare(
        `SELECT action FROM audit_log WHERE subject_type = 'incident' AND subject_id = ? AND action LIKE 'incident.report%' ORDER BY id`,
      )
      .pluck()
      .all(resolvedId);
    expect(audit).toEqual(['incident.report.publish', 'incident.report.revise']);
    const fetched = (await (
      await fetch(`${s.url}/api/v1/incidents/${resolvedId}/report`, { headers: { authorization: `Bearer ${s.token}` } })
    ).json()) as { version: number };
    expect(fetched.version).toBe(2);
  });

  it('is on the incident page with its last revision, sanitised, and listed on /disponibilidad', async () => {
    const html = await (await get(`/incidentes/${resolvedId}`)).text();
    const section = html.slice(html.indexOf('id="informe"'));
    expect(section).toContain('Informe del incidente');
    expect(section).toContain('última revisión <time datetime="2026-11-14T18:00:00.000Z"');
    expect(section).toContain('(versión 2)');
    expect(section).toContain('<h4>Causa raíz</h4>');
    expect(section).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(section).not.toMatch(/<script|<img|href="javascript/i);
    expect(section).toContain('<li>Segundo proveedor</li>');
    const month = await (await get('/disponibilidad/2026-11')).text();
    expect(month).toContain(`<a href="/incidentes/${resolvedId}#informe">Corte de fibra en Metepec</a>`);
  });

  it('is an item of the feeds, dated by its last revision', async () => {
    const atom = await (await get('/feed.atom')).text();
    expect(atom).toContain('[Informe del incidente] Corte de fibra en Metepec');
    expect(atom).toContain(`/incidentes/${resolvedId}#informe`);
    expect(atom).not.toMatch(/<script|&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/p>\s*<img/);
    const json = (await (await get('/feed.json')).json()) as {
      items: Array<{ id: string; date_modified: string; content_html: string }>;
    };
    const item = json.items.find((i) => i.id.endsWith(`/incidentes/${resolvedId}#informe`))!;
    expect(item.date_modified).toBe('2026-11-14T18:00:00.000Z');
    expect(item.content_html).not.toMatch(/<script|<img|href="javascript/);
    // A component's feed carries it too.
    expect(await (await get('/componentes/metepec-fibra/feed.atom')).text()).toContain('[Informe del incidente]');
  });

  it('emails the subscribers the incident notified, once per version', async () => {
    const first = (await (
      await put(resolvedId, { body: `${HOSTILE}\n- Segundo proveedor`, notify_subscribers: true })
    ).json()) as { emailed: number; changed: boolean };
    expect(first).toMatchObject({ emailed: 1, changed: false });
    expect(
      (
        (await (
          await put(resolvedId, { body: `${HOSTILE}\n- Segundo proveedor`, notify_subscribers: true })
        ).json()) as { emailed: number }
      ).emailed,
    ).toBe(0);
    const rows = db.$client.prepare(`SELECT * FROM outbox_messages WHERE kind = 'incident.report'`).all() as Array<
      Record<string, unknown>
    >;
    expect(rows.map((r) => r.recipient)).toEqual(['noc@cliente.mx']);
    const row = db
      .select()
      .from((await import('#db/schema/index.ts')).outboxMessages)
      .all()
      .find((r) => r.kind === 'incident.report') as OutboxRow;
    const message = emailComposer(db, testConfig)(row);
    expect(message.subject).toBe('[Informe del incidente] Corte de fibra en Metepec (revisado)');
    expect(message.html).toContain('Segundo proveedor');
    expect(message.html).not.toMatch(/<script|<img|href="javascript/i);
    expect(message.text).toContain('## Causa raíz');
    expect(message.headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/status\.example\.test\/api\/v1\/subscribers\/unsubscribe\?token=/,
    );
  });

  it('the console editor previews without saving and publishes a revision', async () => {
    addUser(db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
    const guardia = new ConsoleClient(s.url);
    await guardia.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
    const page = await (await guardia.get(`/noc/incidentes/${resolvedId}/informe`)).text();
    expect(page).toContain('Informe del incidente');
    expect(page).toContain('Segundo proveedor');
    const csrf = hiddenValue(page, 'csrf')!;
    const idem = hiddenValue(page, 'idem')!;
    const preview = await guardia.post(`/noc/incidentes/${resolvedId}/informe`, {
      csrf,
      idem,
      body: '## Causa\n\n<b>x</b> **ok**',
      accion: 'vista-previa',
    });
    expect(preview.status).toBe(200);
    const previewHtml = await preview.text();
    expect(previewHtml).toContain('<h4>Causa</h4>');
    expect(previewHtml).toContain('&lt;b&gt;x&lt;/b&gt; <strong>ok</strong>');
    expect(
      db.$client
        .prepare('SELECT max(version) FROM incident_report_versions WHERE incident_id = ?')
        .pluck()
        .get(resolvedId),
    ).toBe(2);
    const saved = await guardia.post(`/noc/incidentes/${resolvedId}/informe`, {
      csrf,
      idem,
      body: '## Causa\n\nTexto revisado en la consola.',
      accion: 'publicar',
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`/noc/incidentes/${resolvedId}/informe?aviso=revisado`);
    expect(
      db.$client
        .prepare('SELECT author FROM incident_report_versions WHERE incident_id = ? AND version = 3')
        .pluck()
        .get(resolvedId),
    ).toBe('guardia@somnet.com.mx');
    // The same form sent again (a double click) does not write a fourth version.
    expect(
      (
        await guardia.post(`/noc/incidentes/${resolvedId}/informe`, {
          csrf,
          idem,
          body: '## Causa\n\nOtra cosa.',
          accion: 'publicar',
        })
      ).status,
    ).toBe(303);
    expect(
      db.$client
        .prepare('SELECT max(version) FROM incident_report_versions WHERE incident_id = ?')
        .pluck()
        .get(resolvedId),
    ).toBe(3);
    // An empty report: the Spanish message next to the field, nothing written.
    const page2 = await (await guardia.get(`/noc/incidentes/${resolvedId}/informe`)).text();
    const refused = await guardia.post(`/noc/incidentes/${resolvedId}/informe`, {
      csrf: hiddenValue(page2, 'csrf')!,
      idem: hiddenValue(page2, 'idem')!,
      body: '   ',
      accion: 'publicar',
    });
    expect(refused.status).toBe(422);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toMatch(/id="body-error">[^<]*informe/i);
    expect(refusedHtml).toMatch(/data-error-summary[^]*<a href="#body">[^<]*informe/i);
    // An open incident: the command's refusal at the top of the form.
    const openPage = await (await guardia.get(`/noc/incidentes/${openId}/informe`)).text();
    const early = await guardia.post(`/noc/incidentes/${openId}/informe`, {
      csrf: hiddenValue(openPage, 'csrf')!,
      idem: hiddenValue(openPage, 'idem')!,
      body: 'x',
      accion: 'publicar',
    });
    expect(early.status).toBe(409);
    expect(await early.text()).toContain('cuando el incidente está resuelto');
  });
});
