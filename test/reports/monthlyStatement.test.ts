// The monthly statement email: on the 1st, 09:00 Mexico City, the clock job queues one
// email per service with an outage the month before and technical contact, through the outbox;
// the amounts are those of the billing report (serviceMonths, compensationEstimate), never a
// second formula; once per (service, month, contact) across passes, restarts and two processes;
// a server down on the 1st catches up within the month; a month without an outage sends nothing;
// and the public statement the email links to still shows no amount.
import { spawnSync } from 'node:child_process';
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '#db/client.ts';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { nextStatementsDue, resendStatement } from '#db/commands/statements.ts';
import type { CommandError } from '#db/commands/errors.ts';
import { unsubscribeAddress } from '#db/commands/subscribers.ts';
import { compensationEstimate, formatPercent } from '#db/domain/availability.ts';
import { auditEntries, latestStatementDelivery, serviceMonths, statementRunOf } from '#db/queries/index.ts';
import type { OutboxRow } from '#db/outbox/worker.ts';
import { outboxMessages } from '#db/schema/index.ts';
import { emailComposer } from '../../api/email/compose.ts';
import { createApp } from '../../api/app.ts';
import { projectRoot } from '../../api/paths.ts';
import { novemberOutages } from './fixtures.ts';
import { clockWorker, monthlyStatements } from '../../api/workers/clock.ts';
import { emailWorker } from '../../api/workers/email.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import { freshDb, testConfig } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, ConsoleClient } from '../console/support.ts';

const at = (s: string) => ({ now: new Date(s), actor: systemActor });
const NOVEMBER_MINUTES = 43_200;
/** The 1st of December, 09:00 in Mexico City (UTC-6). */
const DUE = new Date('2026-12-01T15:00:00Z');

function statementRows(db: Db, month = '2026-11'): OutboxRow[] {
  return db
    .select()
    .from(outboxMessages)
    .where(and(eq(outboxMessages.kind, 'statement.monthly'), like(outboxMessages.dedupeKey, `statement:${month}:%`)))
    .orderBy(outboxMessages.id)
    .all();
}

describe('the monthly statement email', () => {
  const db = freshDb({ now: new Date('2026-11-01T06:00:00Z') });
  let ids: { metepec: string; tower: string };
  let s: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    ids = novemberOutages(db);
    s = await startTestServer({ db, now: () => new Date('2026-12-05T18:00:00Z'), publicUrl: 'http://127.0.0.1' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('is not due before 09:00 on the 1st; the clock is told when', () => {
    expect(monthlyStatements.run(db, new Date('2026-12-01T14:59:00Z'))).toBeNull();
    expect(statementRows(db)).toHaveLength(0);
    expect(nextStatementsDue(db, new Date('2026-12-01T14:59:00Z'))).toEqual(DUE);
    // On 20 November October's are still unsent: overdue since 1 November (the catch-up).
    expect(nextStatementsDue(db, new Date('2026-11-20T00:00:00Z'))).toEqual(new Date('2026-11-01T15:00:00Z'));
  });

  it('on the 1st queues one email per service with an outage and technical contact, none for a month without one', () => {
    const run = monthlyStatements.run(db, DUE);
    expect(run).toMatchObject({ month: '2026-11', services: 3, messages: 4 });
    const rows = statementRows(db);
    expect(rows.map((r) => r.dedupeKey).sort()).toEqual([
      'statement:2026-11:SOM-12345:laura@esperanza.mx',
      'statement:2026-11:SOM-12345:noc@esperanza.mx',
      'statement:2026-11:SOM-12346:laura@esperanza.mx',
      'statement:2026-11:SOM-20001:pedro@tvalle.mx',
    ]);
    // SOM-30001 had announced maintenance only: no outage, no email to sistemas@clinicasj.mx.
    expect(rows.some((r) => r.recipient === 'sistemas@clinicasj.mx')).toBe(false);
    expect(statementRunOf(db, '2026-11')).toMatchObject({ services: 3, messages: 4 });
    // Next: the statements of December, on 1 January at 09:00.
    expect(nextStatementsDue(db, DUE)).toEqual(new Date('2027-01-01T15:00:00Z'));
    // The NOC sees it in the audit, one row per service.
    const audit = auditEntries(db, { action: 'statement.sent', page: 1 }).entries;
    expect(audit.map((a) => a.subjectId).sort()).toEqual(['SOM-12345', 'SOM-12346', 'SOM-20001']);
  });

  it('states the minutes, each incident with its times, the availability and the amounts of the billing report', () => {
    const compose = emailComposer(db, testConfig);
    const row = statementRows(db).find((r) => r.dedupeKey === 'statement:2026-11:SOM-12345:laura@esperanza.mx')!;
    const email = compose(row);
    // The billing report's figures for the same service and month: the email states them, it does not recompute them.
    const billed = serviceMonths(db, '2026-11', DUE, { serviceId: 'SOM-12345' })[0];
    expect(billed.compensation).toEqual({ monthlyPrice: 3499, ...compensationEstimate(3499, 60, NOVEMBER_MINUTES) });
    expect(billed.compensation).toMatchObject({ proportional: 4.86, bonus: 0.97, total: 5.83 });
    expect(email.to).toBe('laura@esperanza.mx');
    expect(email.subject).toBe(
      'Estado de disponibilidad de noviembre de 2026: servicio SOM-12345 (Sucursal Centro) — bonificación estimada de $5.83 MXN',
    );
    for (const part of [email.text, email.html]) {
      expect(part).toContain('SOM-12345 (Sucursal Centro)');
      expect(part).toContain('60 min (1 h) de indisponibilidad');
      expect(part).toContain(formatPercent(100 * (1 - 60 / NOVEMBER_MINUTES)));
      expect(part).toContain('Corte de fibra en Metepec');
      expect(part).toContain('10 nov 2026, 10:00 – 10 nov 2026, 11:00 (hora del centro de México)');
      expect(part).toContain('$3,499.00 MXN');
      expect(part).toContain('$4.86 MXN ($3,499.00 MXN × 60 min ÷ 43,200 min del mes)');
      expect(part).toContain('$0.97 MXN');
      expect(part).toContain('$5.83 MXN');
      expect(part).toContain('sin que usted tenga que reclamarlas');
      expect(part).toContain('NOM-184-SCFI-2018');
      expect(part).toContain('https://status.example.test/mi-servicio/SOM-12345/reporte/2026-11');
      expect(part).toContain('722 167 5865');
      expect(part).toContain('«Facturación»');
      expect(part).toContain('figura como contacto técnico del servicio SOM-12345');
      // The announced maintenance elsewhere is not this service's.
      expect(part).not.toContain('Cambio de tarjetas');
    }
    expect(email.html).toContain(`href="https://status.example.test/mi-servicio/SOM-12345/reporte/2026-11"`);
    // The contact can stop these messages (RFC 8058), as every notice allows.
    expect(email.headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/status\.example\.test\/api\/v1\/subscribers\/unsubscribe\?token=/,
    );

    // Without a price in the inventory: the minutes, and no amount made up.
    const unpriced = compose(statementRows(db).find((r) => r.dedupeKey.includes('SOM-12346'))!);
    expect(unpriced.subject).toBe('Estado de disponibilidad de noviembre de 2026: servicio SOM-12346 (Bodega Norte)');
    expect(unpriced.text).toContain('Su renta mensual no figura en nuestro inventario');
    expect(unpriced.text).not.toContain('$');
    // Through a network element: the tower's 30 minutes.
    const tower = compose(statementRows(db).find((r) => r.dedupeKey.includes('SOM-20001'))!);
    expect(tower.text).toContain('30 min de indisponibilidad');
    expect(tower.text).toContain('Falla en una torre de Lerma');
    expect(tower.text).not.toContain(ids.metepec);
  });

  it("the NOC's dashboard says the month's statements went out, with their delivery, and links the audit", async () => {
    addUser(db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
    const guardia = new ConsoleClient(s.url);
    await guardia.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
    const html = await (await guardia.get('/noc')).text();
    const line = html.slice(
      html.indexOf('id="estados-de-disponibilidad"'),
      html.indexOf('</p>', html.indexOf('id="estados-de-disponibilidad"')),
    );
    expect(line.replace(/\s+/g, ' ')).toContain('Estados de disponibilidad de noviembre de 2026');
    expect(line.replace(/\s+/g, ' ')).toMatch(
      /4 correos de 3 servicios, preparados el .*1 dic 2026, 09:00.*: 0 enviados, 4 pendientes, 0 fallidos/,
    );
    expect(line).toContain('href="/noc/auditoria?accion=statement.sent"');
    expect(latestStatementDelivery(db)).toMatchObject({ month: '2026-11', pending: 4, sent: 0 });
  });

  it('goes once: another pass, a restart and a second process on the same file queue nothing more', () => {
    const before = statementRows(db).length;
    expect(monthlyStatements.run(db, new Date(DUE.getTime() + 60_000))).toBeNull();
    // A second connection to the same file: another server process, or this one after a restart.
    const other = openDatabase(db.$client.name);
    try {
      expect(monthlyStatements.run(other, new Date('2026-12-02T10:00:00Z'))).toBeNull();
    } finally {
      other.$client.close();
    }
    expect(statementRows(db)).toHaveLength(before);
  });

  it('a month without an outage sends nothing, and is marked as done', () => {
    const run = monthlyStatements.run(db, new Date('2027-01-01T15:00:00Z'));
    expect(run).toMatchObject({ month: '2026-12', services: 0, messages: 0 });
    expect(statementRows(db, '2026-12')).toHaveLength(0);
  });

  it('the public statement the email links to still shows no amount', async () => {
    const html = await (await fetch(`${s.url}/mi-servicio/SOM-12345/reporte/2026-11`)).text();
    expect(html).toContain('Reporte de disponibilidad · noviembre de 2026');
    expect(html).toContain(`<a href="/incidentes/${ids.metepec}">Corte de fibra en Metepec</a>`);
    for (const money of ['$', '3,499', '5.83', '4.86', '0.97', 'MXN', 'Renta'])
      expect(html, money).not.toContain(money);
    // It says where the amounts go instead.
    expect(html.replace(/\s+/g, ' ')).toContain(
      'se envía por correo a los contactos técnicos del servicio el día 1 del mes siguiente',
    );
  });
});

describe('a server that was down on the 1st', () => {
  it('sends when it starts, within the month; a month missed whole is not sent late', () => {
    const db = freshDb({ now: new Date('2026-11-01T06:00:00Z') });
    novemberOutages(db);
    // A contact who unsubscribed gets no statement either.
    unsubscribeAddress(db, 'email', 'noc@esperanza.mx', at('2026-11-20T12:00:00Z'));
    // Down from 30 November to 20 December: the first pass on the 20th sends November's.
    const late = monthlyStatements.run(db, new Date('2026-12-20T17:00:00Z'));
    expect(late).toMatchObject({ month: '2026-11', services: 3, messages: 3 });
    expect(statementRows(db).map((r) => r.recipient)).not.toContain('noc@esperanza.mx');

    // A December outage, and the server down from 31 December to 3 February: December's
    // statements would come after its invoice; the pass on 3 February sends January's (none) only.
    const dec = createIncident(
      db,
      {
        name: 'Corte en Metepec',
        impact: 'critical',
        status: 'investigating',
        body: 'Revisamos.',
        components: { 'metepec-fibra': 'major_outage' },
      },
      at('2026-12-10T16:00:00Z'),
    ).id;
    publishIncidentUpdate(
      db,
      dec,
      { status: 'resolved', body: 'Listo.', components: { 'metepec-fibra': 'operational' } },
      at('2026-12-10T18:00:00Z'),
    );
    expect(monthlyStatements.run(db, new Date('2027-02-03T15:00:00Z'))).toMatchObject({
      month: '2027-01',
      messages: 0,
    });
    expect(statementRows(db, '2026-12')).toHaveLength(0);
    expect(statementRunOf(db, '2026-12')).toBeNull();
  });
});

describe('through the running workers', () => {
  it('the clock worker queues them on the 1st and the email worker delivers each once through Resend', async () => {
    const standin = await startResendStandin();
    const db = freshDb({ now: new Date('2026-11-01T06:00:00Z') });
    novemberOutages(db);
    // The server's clock reads 09:00 on the 1st (it started then, or it slept until then).
    const { deps } = createApp({ db, config: testConfig, now: () => DUE });
    const config = {
      ...deps.config,
      resendApiKey: standin.apiKey,
      resendBaseUrl: standin.url,
      resendRequestsPerSecond: 0,
    };
    const stops = [
      clockWorker({ jobs: [monthlyStatements] }).start({ ...deps, config }),
      emailWorker({ idleMs: 20 }).start({ ...deps, config }),
    ];
    try {
      const end = Date.now() + 60_000;
      while (standin.delivered.filter((d) => d.subject.startsWith('Estado de disponibilidad')).length < 4) {
        if (Date.now() > end) throw new Error('no llegaron los cuatro estados de cuenta');
        await new Promise((r) => setTimeout(r, 50));
      }
      // Time for a duplicate to show up, were there one.
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      for (const stop of stops) await stop();
      await standin.close();
    }
    const statements = standin.delivered.filter((d) => d.subject.startsWith('Estado de disponibilidad'));
    expect(statements.map((d) => d.to).sort()).toEqual([
      'laura@esperanza.mx',
      'laura@esperanza.mx',
      'noc@esperanza.mx',
      'pedro@tvalle.mx',
    ]);
    const laura = statements.find((d) => d.to === 'laura@esperanza.mx' && d.subject.includes('SOM-12345'))!;
    expect(laura.text).toContain('Total estimado a su favor: $5.83 MXN');
    expect(statementRows(db).every((r) => r.status === 'sent')).toBe(true);
  });
});

describe('sending a month again for one service', () => {
  it('queues it anew to the contacts with today’s figures, audited; refuses what has nothing to state; also from the CLI', () => {
    const db = freshDb({ now: new Date('2026-11-01T06:00:00Z') });
    novemberOutages(db);
    monthlyStatements.run(db, DUE);
    const ctx = {
      now: new Date('2026-12-05T18:00:00Z'),
      actor: { kind: 'user' as const, name: 'facturacion@somnet.com.mx' },
    };
    const r = resendStatement(db, { serviceId: ' som-12345 ', month: '2026-11' }, ctx);
    expect(r).toEqual({
      month: '2026-11',
      serviceId: 'SOM-12345',
      recipients: ['laura@esperanza.mx', 'noc@esperanza.mx'],
    });
    const again = statementRows(db).filter((row) => row.dedupeKey.includes(':resend-'));
    expect(again.map((row) => row.recipient)).toEqual(['laura@esperanza.mx', 'noc@esperanza.mx']);
    expect(emailComposer(db, testConfig)(again[0]).text).toContain('Total estimado a su favor: $5.83 MXN');
    // The dashboard's count is the month's own sending; the resend is in the audit.
    expect(latestStatementDelivery(db)).toMatchObject({ messages: 4, pending: 4 });
    expect(auditEntries(db, { action: 'statement.resent', page: 1 }).entries[0]).toMatchObject({
      actorName: 'facturacion@somnet.com.mx',
      subjectId: 'SOM-12345',
    });

    const refusal = (input: { serviceId: string; month: string }) => {
      try {
        resendStatement(db, input, ctx);
      } catch (err) {
        return err as CommandError;
      }
      throw new Error('no se rechazó');
    };
    expect(refusal({ serviceId: 'SOM-12345', month: '2026-12' })).toMatchObject({
      status: 422,
      code: 'month_not_finished',
    });
    expect(refusal({ serviceId: 'SOM-30001', month: '2026-11' })).toMatchObject({ status: 422, code: 'no_outage' });
    expect(refusal({ serviceId: 'SOM-99999', month: '2026-11' })).toMatchObject({ status: 404 });
    expect(refusal({ serviceId: 'SOM-12345', month: 'noviembre' })).toMatchObject({
      status: 422,
      code: 'invalid_month',
    });

    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['api/cli.ts', 'statement', 'resend', ...args], {
        cwd: projectRoot,
        env: { ...process.env, DATABASE_PATH: db.$client.name },
        encoding: 'utf8',
      });
    const ok = cli('SOM-20001', '2026-11');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(
      'Estado de disponibilidad de noviembre de 2026 del servicio SOM-20001 en cola para: pedro@tvalle.mx.',
    );
    const refused = cli('SOM-30001', '2026-11');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('no tuvo falla en noviembre de 2026');
  });
});
