// The console's alert modules (site/console/alerts.ts, drafts in site/console/incidents.ts) on a
// real database, and the alert pages through the real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveAlertmanagerWebhook } from '#db/commands/alerts/index.ts';
import { createConsoleUser } from '#db/commands/consoleUsers.ts';
import { alertRuleDocument, componentCatalogue, openDrafts } from '#db/queries/index.ts';
import { isRedirect, type ConsoleRequest } from '../../site/console/action.ts';
import { alertRulesPage } from '../../site/console/alerts.ts';
import { incidentComposerPage } from '../../site/console/incidents.ts';
import { incidentTemplate } from '#db/domain/incidentTemplates.ts';
import { randomToken } from '../../site/console/session.ts';
import { freshDb, testClock } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, ConsoleClient } from '../console/support.ts';
import { alertmanagerPayload } from './payloads.ts';

const now = new Date('2026-11-26T18:00:00Z');

function form(fields: Record<string, string | string[]>): FormData {
  const f = new FormData();
  f.set('idem', randomToken());
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) f.append(k, one);
  return f;
}

/** A fresh database and a signed-in NOC operator's request to the console modules. */
function nocRequest(): { db: ReturnType<typeof freshDb>; req: ConsoleRequest } {
  const db = freshDb();
  const user = createConsoleUser(
    db,
    { email: 'guardia@somnet.com.mx', role: 'noc', passwordHash: 'x' },
    { now, actor: { kind: 'cli', name: 'pruebas' } },
  );
  const session = { user: { id: user.id, email: user.email, role: 'noc' as const, mustChangePassword: false } };
  return { db, req: { db, now, session } };
}

describe('rules page (site/console/alerts.ts)', () => {
  const { db, req } = nocRequest();
  const catalogue = componentCatalogue(db);
  const metepec = catalogue.groups.find((g) => g.slug === 'metepec')!;

  it('adds a rule from the form, with conditions one per line', () => {
    const out = alertRulesPage(
      req,
      form({
        accion: 'agregar',
        nombre: 'OLT Metepec',
        condiciones: 'job=olt\r\ninstance=~olt-metepec-\\d+',
        componente: metepec.id,
        modo: 'propose',
        severidades: 'warning = partial_outage',
        plantilla: 'corte-fibra',
      }),
    );
    expect(isRedirect(out) && out.redirect).toBe('/noc/alertas/reglas?aviso=agregada');
    expect(alertRuleDocument(db).rules).toEqual([
      {
        name: 'OLT Metepec',
        match: { job: 'olt' },
        matchRe: { instance: 'olt-metepec-\\d+' },
        components: [metepec.id],
        mode: 'propose',
        severities: { warning: 'partial_outage' },
        template: 'corte-fibra',
      },
    ]);
  });

  it('shows the command’s refusal next to the field and changes nothing', () => {
    const before = alertRuleDocument(db);
    const bad = alertRulesPage(
      req,
      form({ accion: 'agregar', nombre: 'Mala', condiciones: 'instance=~(', severidades: 'critical = todo mal' }),
    );
    expect(isRedirect(bad)).toBe(false);
    if (isRedirect(bad)) return;
    expect(bad.status).toBe(422);
    expect(bad.view.errors).toMatchObject({
      conditions: 'Expresión regular no válida.',
      severities: expect.stringContaining('Elija un estado de falla'),
    });
    expect(bad.view.rule).toMatchObject({ name: 'Mala', conditions: 'instance=~(' });
    const nonsense = alertRulesPage(req, form({ accion: 'agregar', nombre: 'Sin forma', condiciones: 'esto no' }));
    expect(!isRedirect(nonsense) && nonsense.view.errors.conditions).toContain('no es una condición');
    const defaults = alertRulesPage(
      req,
      form({
        accion: 'predeterminados',
        modo_predeterminado: 'automatic',
        amortiguacion: 'diez',
        severidades_predeterminadas: 'critical = major_outage',
      }),
    );
    expect(!isRedirect(defaults) && defaults.view.errors.holdDown).toContain('número entero');
    expect(alertRuleDocument(db)).toEqual(before);
  });

  it('saves the defaults, moves and removes rules', () => {
    alertRulesPage(req, form({ accion: 'agregar', nombre: 'Radios', condiciones: 'site=lerma' }));
    const up = alertRulesPage(req, form({ accion: 'subir', regla: '1' }));
    expect(isRedirect(up)).toBe(true);
    expect(alertRuleDocument(db).rules.map((r) => r.name)).toEqual(['Radios', 'OLT Metepec']);
    alertRulesPage(req, form({ accion: 'eliminar', regla: '0' }));
    expect(alertRuleDocument(db).rules.map((r) => r.name)).toEqual(['OLT Metepec']);
    alertRulesPage(
      req,
      form({
        accion: 'predeterminados',
        modo_predeterminado: 'propose',
        amortiguacion: '10',
        severidades_predeterminadas: 'critical = major_outage\nwarning = degraded_performance',
      }),
    );
    expect(alertRuleDocument(db).defaults).toEqual({
      mode: 'propose',
      holdDownMinutes: 10,
      severities: { critical: 'major_outage', warning: 'degraded_performance' },
    });
  });
});

describe('composer with a draft (site/console/incidents.ts)', () => {
  const { db, req } = nocRequest();
  const body = alertmanagerPayload([
    {
      labels: { alertname: 'Caida', component: 'lerma-fibra', severity: 'critical' },
      annotations: { summary: 'Sin luz en Lerma.\nRevisando el tramo Lerma–Toluca.' },
    },
  ]);
  receiveAlertmanagerWebhook(db, body, JSON.stringify(body), { now });
  const [draft] = openDrafts(db);

  it('fills every field from the draft and shows the preview at once, so publishing is one click', () => {
    const shown = incidentComposerPage(req, {
      template: null,
      publicUrl: 'https://status.example.test',
      draft: draft.id,
    });
    if (isRedirect(shown)) throw new Error('redirect');
    expect(shown.view.values).toMatchObject({
      name: draft.name,
      impact: 'critical',
      body: 'Sin luz en Lerma.\nRevisando el tramo Lerma–Toluca.',
      components: { [draft.components[0].component.id]: 'major_outage' },
    });
    expect(shown.view.fingerprint).toBeTruthy();
    expect(shown.view.preview?.name).toBe(draft.name);
    // The browser sends the textarea with CRLF line breaks: the same text, the same fingerprint.
    const click = form({
      accion: 'publicar',
      vista: shown.view.fingerprint!,
      name: draft.name,
      impact: 'critical',
      status: draft.status,
      body: 'Sin luz en Lerma.\r\nRevisando el tramo Lerma–Toluca.',
      cause: draft.cause ?? '',
      eta: '',
      estado_componentes: 'major_outage',
      componente: draft.components[0].component.id,
      notificar: '1',
    });
    const published = incidentComposerPage(
      req,
      { template: null, publicUrl: 'https://status.example.test', draft: draft.id },
      click,
    );
    expect(isRedirect(published) && published.redirect).toMatch(/^\/noc\/incidentes\/\w+\?aviso=publicado$/);
    // Opening it again leads to the incident it became.
    const again = incidentComposerPage(req, {
      template: null,
      publicUrl: 'https://status.example.test',
      draft: draft.id,
    });
    expect(isRedirect(again) && again.redirect).toBe(
      published && isRedirect(published) ? published.redirect.replace('?aviso=publicado', '') : '',
    );
    expect(incidentComposerPage(req, { template: null, publicUrl: 'x', draft: 'nope' })).toMatchObject({ status: 404 });
  });
});

describe('composer with a draft from a hostile keyword warning: a template is offered, never prefilled', () => {
  const { db, req } = nocRequest();
  const body = alertmanagerPayload([
    {
      labels: { alertname: 'OltPacketLoss', component: 'san-mateo-atenco-fibra', severity: 'warning' },
      annotations: { summary: 'Pérdida de paquetes de 8 % en la OLT OLT-SMA-01' },
      startsAt: '2026-11-26T17:40:00Z',
    },
  ]);
  receiveAlertmanagerWebhook(db, body, JSON.stringify(body), { now });
  const [draft] = openDrafts(db);
  const options = { template: null, publicUrl: 'https://status.example.test', draft: draft.id };
  const id = draft.components[0].component.id;

  it('fills the composer with what is known only, offers the template the words suggest, previews the incident’s start', () => {
    const shown = incidentComposerPage(req, options);
    if (isRedirect(shown)) throw new Error('redirect');
    expect(shown.view.values).toMatchObject({
      name: 'Falla detectada en San Mateo Atenco · Fibra óptica: pérdida de paquetes',
      status: 'investigating',
      cause: '',
      impact: 'major',
      components: { [id]: 'degraded_performance' },
    });
    expect(shown.view.offer?.id).toBe('saturacion');
    // The incident will start when the alert did (17:40), not when the NOC publishes (18:00).
    expect(shown.view.preview?.startedAt).toEqual(new Date('2026-11-26T17:40:00Z'));
  });

  it('one click applies it on the server: its words, the NOC’s components and criticality', () => {
    const applied = incidentComposerPage(
      req,
      options,
      form({
        aplicar_plantilla: 'saturacion',
        name: 'Falla detectada en San Mateo Atenco · Fibra óptica: pérdida de paquetes',
        impact: 'major',
        status: 'investigating',
        body: 'Texto que el NOC empezó a escribir.',
        cause: '',
        eta: '',
        componente: id,
        [`estado_${id}`]: 'degraded_performance',
        notificar: '1',
      }),
    );
    if (isRedirect(applied)) throw new Error('applying a template must not publish');
    const saturacion = incidentTemplate('saturacion')!;
    expect(applied.status).toBe(200);
    expect(applied.view.values).toMatchObject({
      name: 'Baja velocidad por saturación en San Mateo Atenco · Fibra óptica',
      status: saturacion.status,
      cause: saturacion.cause,
      body: saturacion.body,
      impact: 'major',
      components: { [id]: 'degraded_performance' },
    });
    expect(applied.view.notice).toContain('Se aplicó la plantilla «Saturación / baja velocidad»');
    expect(applied.view.fingerprint).toBeTruthy();
    expect(applied.view.offer).toBeUndefined();
    expect(openDrafts(db)).toHaveLength(1); // nothing published
  });
});

describe('alert pages over HTTP', () => {
  const clock = testClock('2026-11-26T18:00:00Z');
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const noc = () => new ConsoleClient(server.url);
  beforeAll(async () => {
    server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
    addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'guardia-de-noche-1', { mustChange: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('/noc/alertas lists unmatched alerts first, active ones and the raw webhooks; the dashboard counts them', async () => {
    await server.api(
      'POST',
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: { alertname: 'Caido', component: 'atlantida-fibra', severity: 'critical' },
          annotations: { summary: 'Nodo <b>Atlántida</b> caído' },
        },
        {
          labels: { alertname: 'Lento', component: 'toluca-fibra', severity: 'warning' },
          annotations: { summary: 'Latencia alta en Toluca' },
        },
      ]),
    );
    const client = noc();
    await client.login('guardia@somnet.com.mx', 'guardia-de-noche-1');
    const html = await (await client.get('/noc/alertas')).text();
    expect(html).toContain('Sin componente (1)');
    expect(html).toContain('No existe: atlantida-fibra');
    expect(html).toContain('Nodo &lt;b&gt;Atlántida&lt;/b&gt; caído'); // escaped
    expect(html).toContain('Activas (1)');
    expect(html).toContain('Latencia alta en Toluca');
    expect(html).toContain('alertmanager/somnet-estado');
    expect(html.indexOf('Sin componente')).toBeLessThan(html.indexOf('Activas ('));
    const dashboard = await (await client.get('/noc')).text();
    expect(dashboard).toContain('Borradores abiertos por alertas (1)');
    expect(dashboard).toMatch(/Alertas activas: 2<\/a>, <strong>1 sin componente<\/strong>/);
    expect(dashboard.indexOf('Borradores abiertos por alertas')).toBeLessThan(dashboard.indexOf('Incidentes abiertos'));
    const rules = await (await client.get('/noc/alertas/reglas')).text();
    expect(rules).toContain('critical = major_outage');
    expect(html).not.toContain('¿Obsoleta?');
    // Nobody sends it again for 13 hours: the console asks whether it is stale; nothing changes by itself.
    clock.advance(13 * 3_600_000);
    const later = noc();
    await later.login('guardia@somnet.com.mx', 'guardia-de-noche-1');
    expect(await (await later.get('/noc/alertas')).text()).toMatch(
      /¿Obsoleta\?<\/strong> Nadie la reenvía desde <time datetime="2026-11-26T18:00:00.000Z">26 nov 2026, 12:00/,
    );
  });
  it('the composer offers the suggested template as a button that works without JavaScript', async () => {
    await server.api(
      'POST',
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: { alertname: 'OltPacketLoss', component: 'san-mateo-atenco-fibra', severity: 'warning' },
          annotations: { summary: 'Pérdida de paquetes de 8 % en la OLT OLT-SMA-01' },
        },
      ]),
    );
    const client = noc();
    await client.login('guardia@somnet.com.mx', 'guardia-de-noche-1');
    const draft = openDrafts(server.db).find((d) => d.name.includes('San Mateo Atenco'))!;
    const path = `/noc/incidentes/nuevo?borrador=${draft.id}`;
    const html = await (await client.get(path)).text();
    expect(html).toContain('value="Falla detectada en San Mateo Atenco · Fibra óptica: pérdida de paquetes"');
    expect(html).toMatch(
      /<button[^>]*name="aplicar_plantilla"[^>]*value="saturacion"|<button[^>]*value="saturacion"[^>]*name="aplicar_plantilla"/,
    );
    expect(html).toContain('no se aplicó');
    const id = draft.components[0].component.id;
    const res = await client.submit(path, {
      aplicar_plantilla: 'saturacion',
      name: draft.name,
      impact: draft.impact,
      status: draft.status,
      body: draft.body,
      cause: '',
      eta: '',
      componente: id,
      [`estado_${id}`]: 'degraded_performance',
      notificar: '1',
    });
    expect(res.status).toBe(200);
    const after = await res.text();
    expect(after).toContain('value="Baja velocidad por saturación en San Mateo Atenco · Fibra óptica"');
    expect(after).toContain('Se aplicó la plantilla «Saturación / baja velocidad»');
    expect(after).not.toContain('name="aplicar_plantilla"');
  });
});
