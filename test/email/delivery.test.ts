import { cancelMaintenance, createMaintenance, updateMaintenance } from '#db/commands/maintenances.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDb, testClock, testConfig } from '../support/db.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import { outboxMessages } from '#db/schema/index.ts';
import { importSubscribers, requestSubscription, unsubscribe } from '#db/commands/subscribers.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import { expandFanOuts } from '#db/outbox/fanout.ts';
import { resendTransport } from '../../api/email/resend.ts';
import { fileTransport } from '../../api/email/file.ts';
import { countConfirmedSubscribersFor } from '#db/queries/index.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { publish } from '#db/notifications/index.ts';
import { runCommand } from '#db/commands/transaction.ts';
import '#db/notifications/channels.ts';
import { createApp } from '../../api/app.ts';
import { createApiToken } from '#db/commands/tokens.ts';

const clock = testClock('2026-11-26T18:00:00Z');
const ctx = () => ({ now: clock.now(), actor: { kind: 'token' as const, name: 'pruebas' } });
const db = freshDb();
const config = {
  ...testConfig,
  publicUrl: 'https://estado.example.test',
  mailFrom: 'SOMNET Estado <estado@somnet.com.mx>',
};
let standin: Awaited<ReturnType<typeof startResendStandin>>;
const transport = () =>
  resendTransport(db, config, { apiKey: standin.apiKey, baseUrl: standin.url, requestsPerSecond: 0 });
// As the server does: the notices recorded by the commits get their rows, then the outbox is drained.
const drain = async () => {
  await expandFanOuts(db);
  return drainOutbox(db, transport(), { now: clock.now });
};
const pendingEmail = () =>
  db
    .select()
    .from(outboxMessages)
    .where(eq(outboxMessages.status, 'pending'))
    .all()
    .filter((r) => r.channel === 'email');

beforeAll(async () => {
  standin = await startResendStandin();
  importSubscribers(
    db,
    [
      { email: 'todo@cliente.mx' },
      { email: 'metepec@cliente.mx', components: ['metepec-fibra'] },
      { email: 'toluca@cliente.mx', components: ['toluca-fibra', 'toluca-inalambrico'] },
    ],
    ctx(),
  );
  // Pending (unconfirmed) sign-up: gets its confirmation, never a notice.
  requestSubscription(db, { email: 'sin-confirmar@cliente.mx', ip: '192.0.2.1' }, ctx());
});
afterAll(async () => {
  await standin.close();
  db.$client.close();
});

describe('fan-out', () => {
  it('counts confirmed subscribers per component set', () => {
    expect(countConfirmedSubscribersFor(db, [findComponent(db, 'metepec-fibra')!.id])).toBe(2);
    expect(countConfirmedSubscribersFor(db, [findComponent(db, 'lerma-fibra')!.id])).toBe(1);
    expect(
      countConfirmedSubscribersFor(db, [findComponent(db, 'toluca-fibra')!.id, findComponent(db, 'metepec-fibra')!.id]),
    ).toBe(3);
  });

  it('sends the confirmation to the pending address only, then notices to subscribers of the affected components', async () => {
    await drain();
    expect(standin.delivered.map((d) => d.to)).toEqual(['sin-confirmar@cliente.mx']);
    expect(standin.delivered[0].subject).toMatch(/Confirme su suscripción/);
    expect(standin.delivered[0].text).toContain('https://estado.example.test/suscripcion/confirmar?token=');

    clock.advance(60_000);
    const incident = createIncident(
      db,
      {
        name: 'Corte de fibra en Metepec',
        status: 'identified',
        impact: 'critical',
        body: 'Cuadrilla en camino.',
        cause: 'Corte por obra civil',
        eta: new Date('2026-11-27T00:00:00Z'),
        components: { 'metepec-fibra': 'major_outage' },
      },
      ctx(),
    );
    expect(
      pendingEmail()
        .map((r) => r.recipient)
        .sort(),
    ).toEqual(['metepec@cliente.mx', 'todo@cliente.mx']);
    await drain();
    const notices = standin.delivered.slice(1);
    expect(notices.map((d) => d.to).sort()).toEqual(['metepec@cliente.mx', 'todo@cliente.mx']);
    const mail = notices[0];
    expect(mail.from).toBe('SOMNET Estado <estado@somnet.com.mx>');
    expect(mail.subject).toBe('[Incidente] Corte de fibra en Metepec — Identificado (criticidad alta)');
    expect(mail.text).toContain('Causa: Corte por obra civil');
    expect(mail.text).toContain('Tiempo estimado de restauración: 26 nov 2026, 18:00 (hora del centro de México)');
    expect(mail.text).toContain('Metepec · Fibra óptica');
    expect(mail.text).toContain(`https://estado.example.test/incidentes/${incident.id}`);
    expect(mail.html).toContain('Corte por obra civil');
    expect(mail.headers!['List-Unsubscribe']).toMatch(
      /^<https:\/\/estado\.example\.test\/api\/v1\/subscribers\/unsubscribe\?token=\d+\.[A-Za-z0-9_-]{43}>$/,
    );
    expect(mail.headers!['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(mail.text).toMatch(
      /Administrar preferencias: https:\/\/estado\.example\.test\/suscripcion\/preferencias\?token=/,
    );
    // The payload (with its link token) is forgotten once sent.
    expect(
      db
        .select()
        .from(outboxMessages)
        .where(eq(outboxMessages.status, 'sent'))
        .all()
        .every((r) => r.payload === '{}'),
    ).toBe(true);

    // An update without notifications sends nothing; resolving does.
    publishIncidentUpdate(
      db,
      incident.id,
      { status: 'monitoring', body: 'Reparado, en observación.', deliverNotifications: false },
      ctx(),
    );
    expect(pendingEmail()).toHaveLength(0);
    publishIncidentUpdate(
      db,
      incident.id,
      { status: 'monitoring', body: 'Fusión terminada; observamos el enlace.', eta: new Date('2026-11-26T20:00:00Z') },
      ctx(),
    );
    await drain();
    const updates = standin.delivered.filter((d) => d.subject.startsWith('[Actualización]'));
    expect(updates.map((d) => d.to).sort()).toEqual(['metepec@cliente.mx', 'todo@cliente.mx']);
    expect(updates[0].subject).toBe('[Actualización] Corte de fibra en Metepec — En monitoreo (criticidad alta)');
    expect(updates[0].text).toContain('Fusión terminada; observamos el enlace.');
    expect(updates[0].text).toContain(
      'Tiempo estimado de restauración: 26 nov 2026, 14:00 (hora del centro de México)',
    );
    publishIncidentUpdate(db, incident.id, { status: 'resolved', body: 'Servicio restablecido.' }, ctx());
    await drain();
    const resolved = standin.delivered.filter((d) => d.subject.startsWith('[Resuelto]'));
    expect(resolved.map((d) => d.to).sort()).toEqual(['metepec@cliente.mx', 'todo@cliente.mx']);
    expect(resolved[0].subject).toBe('[Resuelto] Corte de fibra en Metepec (criticidad alta)');
    expect(resolved[0].text).not.toContain('Tiempo estimado');
    // "[Resuelto] … — Resuelto" said it twice.
    expect(resolved[0].subject).toBe('[Resuelto] Corte de fibra en Metepec (criticidad alta)');
  });

  it('sends maintenance notices to subscribers of the affected components', async () => {
    const before = standin.delivered.length;
    const start = new Date(clock.now().getTime() + 5 * 86_400_000);
    createMaintenance(
      db,
      {
        name: 'Actualización de firmware en Toluca',
        body: 'Reinicio de los equipos de agregación de fibra.',
        components: ['toluca-fibra'],
        scheduledFor: start,
        scheduledUntil: new Date(start.getTime() + 2 * 3600_000),
      },
      ctx(),
    );
    await drain();
    const sent = standin.delivered.slice(before);
    expect(sent.map((d) => d.to).sort()).toEqual(['todo@cliente.mx', 'toluca@cliente.mx']);
    expect(sent[0].subject).toMatch(/^\[Mantenimiento programado\] Actualización de firmware en Toluca — /);
    expect(sent[0].text).toContain('Reinicio de los equipos de agregación de fibra.');
    expect(sent[0].text).toContain('/mantenimiento/');
  });
});

describe('maintenance notices state the window as it is now', () => {
  it("a reschedule's subject and window are the new ones, with the old window and the expected impact beside them", async () => {
    const before = standin.delivered.length;
    // 00:00–02:00 in Mexico City on 2 December; moved a week later and made an hour longer.
    const { maintenance } = createMaintenance(
      db,
      {
        name: 'Cambio de tarjetas en el nodo Metepec',
        body: 'Sustitución de tarjetas de línea.',
        components: ['metepec-fibra'],
        scheduledFor: new Date('2026-12-02T06:00:00Z'),
        scheduledUntil: new Date('2026-12-02T08:00:00Z'),
        impactKind: 'outage',
      },
      ctx(),
    );
    await drain();
    const announced = standin.delivered.slice(before).find((d) => d.to === 'metepec@cliente.mx')!;
    expect(announced.subject).toBe(
      '[Mantenimiento programado] Cambio de tarjetas en el nodo Metepec — 2 dic 2026, 00:00',
    );
    expect(announced.text).toContain(
      'Ventana: la noche del martes 1 al miércoles 2 de diciembre, de 00:00 a 02:00 (hora del centro de México)',
    );
    expect(announced.text).toContain('Afectación esperada: Interrupción del servicio');

    clock.advance(60_000);
    const moved = standin.delivered.length;
    updateMaintenance(
      db,
      maintenance.id,
      {
        scheduledFor: new Date('2026-12-09T06:00:00Z'),
        scheduledUntil: new Date('2026-12-09T09:00:00Z'),
        rescheduleReason: 'Material retrasado.',
      },
      ctx(),
    );
    await drain();
    const sent = standin.delivered.slice(moved);
    expect(sent.map((d) => d.to).sort()).toEqual(['metepec@cliente.mx', 'todo@cliente.mx']);
    const mail = sent[0];
    expect(mail.subject).toBe(
      '[Mantenimiento reprogramado] Cambio de tarjetas en el nodo Metepec — ahora el 9 dic 2026, 00:00',
    );
    expect(mail.text).toContain(
      'Nueva ventana: la noche del martes 8 al miércoles 9 de diciembre, de 00:00 a 03:00 (hora del centro de México)',
    );
    expect(mail.text).toContain(
      'Ventana anterior (ya no vale): la noche del martes 1 al miércoles 2 de diciembre, de 00:00 a 02:00 (hora del centro de México)',
    );
    expect(mail.text).toContain('Afectación esperada: Interrupción del servicio');
    expect(mail.text).toContain('Motivo: Material retrasado.');
    expect(mail.text).not.toMatch(/^Ventana: /m);
    expect(mail.html).toContain(
      '<dt style="font-weight:bold">Nueva ventana</dt><dd style="margin:0 0 8px 0">la noche del martes 8 al miércoles 9 de diciembre, de 00:00 a 03:00 (hora del centro de México)</dd>',
    );
    expect(mail.html).toContain('Ventana anterior (ya no vale)');

    clock.advance(60_000);
    const cancelledAt = standin.delivered.length;
    cancelMaintenance(db, maintenance.id, { body: 'Ya no es necesario.' }, ctx());
    await drain();
    const cancelled = standin.delivered.slice(cancelledAt)[0];
    expect(cancelled.subject).toBe(
      '[Mantenimiento cancelado] Cambio de tarjetas en el nodo Metepec — 9 dic 2026, 00:00',
    );
    expect(cancelled.text).toContain(
      'Ventana cancelada: la noche del martes 8 al miércoles 9 de diciembre, de 00:00 a 03:00 (hora del centro de México)',
    );
    expect(cancelled.text).toContain('Ya no es necesario.');
  });
});

describe('unsubscribing with notices still queued', () => {
  it('withdraws the queued messages of an address that leaves (they are cancelled, never sent)', async () => {
    importSubscribers(db, [{ email: 'se-va@cliente.mx', components: ['zinacantepec-inalambrico'] }], ctx());
    createIncident(
      db,
      {
        name: 'Enlace caído',
        status: 'investigating',
        body: 'Revisando.',
        components: { 'zinacantepec-inalambrico': 'major_outage' },
      },
      ctx(),
    );
    const queued = pendingEmail().find((r) => r.recipient === 'se-va@cliente.mx')!;
    const { manageToken } = JSON.parse(queued.payload) as { manageToken: string };
    expect(unsubscribe(db, manageToken, ctx())).toBe(true);
    await drain();
    expect(standin.delivered.filter((d) => d.to === 'se-va@cliente.mx')).toHaveLength(0);
    const row = db.select().from(outboxMessages).where(eq(outboxMessages.id, queued.id)).get()!;
    expect(row.status).toBe('cancelled');
  });
});

describe('Resend transport', () => {
  it('sends in batches of at most 100, each under its outbox batch key', async () => {
    importSubscribers(
      db,
      Array.from({ length: 250 }, (_, i) => ({ email: `lote${i}@cliente.mx`, components: ['lerma-fibra'] })),
      ctx(),
    );
    const batchesBefore = standin.stats.batchRequests;
    const before = standin.delivered.length;
    createIncident(
      db,
      {
        name: 'Falla en Lerma',
        status: 'investigating',
        body: 'Revisando.',
        components: { 'lerma-fibra': 'partial_outage' },
      },
      ctx(),
    );
    await drain();
    const sent = standin.delivered.slice(before);
    expect(sent).toHaveLength(251);
    expect(new Set(sent.map((d) => d.to)).size).toBe(251);
    expect(standin.stats.batchRequests - batchesBefore).toBe(3);
    expect(standin.stats.maxBatch).toBe(100);
    const keys = db
      .select()
      .from(outboxMessages)
      .all()
      .filter((r) => r.kind === 'incident.created' && r.status === 'sent')
      .map((r) => r.batchKey);
    for (const d of sent) expect(keys).toContain(d.idempotencyKey);
  });

  it('retries 429 after retry-after and 5xx with backoff, then delivers once', async () => {
    standin.failNext({ status: 429, retryAfter: 30 }, { status: 500 });
    const before = standin.delivered.length;
    createIncident(
      db,
      {
        name: 'Lentitud en Zinacantepec',
        status: 'investigating',
        body: 'Revisando.',
        components: { 'zinacantepec-fibra': 'degraded_performance' },
      },
      ctx(),
    );
    await drain();
    let [row] = pendingEmail();
    expect(row.attempts).toBe(1);
    expect(row.lastError).toMatch(/429 rate_limit_exceeded/);
    expect(row.nextAttemptAt.getTime() - clock.now().getTime()).toBe(30_000);
    await drain(); // not due yet
    expect(standin.delivered.length).toBe(before);
    clock.advance(30_000);
    await drain();
    [row] = pendingEmail();
    expect(row.attempts).toBe(2);
    expect(row.lastError).toMatch(/500/);
    expect(row.nextAttemptAt.getTime() - clock.now().getTime()).toBe(20_000);
    clock.advance(20_000);
    await drain();
    expect(pendingEmail()).toHaveLength(0);
    expect(standin.delivered.slice(before).map((d) => d.to)).toEqual(['todo@cliente.mx']);
  });

  it('marks a refused address failed with the reason, without holding back the rest of its batch', async () => {
    importSubscribers(
      db,
      [
        { email: 'rebota@cliente.mx', components: ['san-mateo-atenco-fibra'] },
        { email: 'bien@cliente.mx', components: ['san-mateo-atenco-fibra'] },
      ],
      ctx(),
    );
    standin.reject('rebota@cliente.mx');
    const before = standin.delivered.length;
    createIncident(
      db,
      {
        name: 'Falla en San Mateo',
        status: 'investigating',
        body: 'Revisando.',
        components: { 'san-mateo-atenco-fibra': 'major_outage' },
      },
      ctx(),
    );
    await drain();
    expect(
      standin.delivered
        .slice(before)
        .map((d) => d.to)
        .sort(),
    ).toEqual(['bien@cliente.mx', 'todo@cliente.mx']);
    const failed = db.select().from(outboxMessages).where(eq(outboxMessages.status, 'failed')).all();
    expect(failed).toHaveLength(1);
    expect(failed[0].recipient).toBe('rebota@cliente.mx');
    expect(failed[0].lastError).toMatch(/422 validation_error.*not allowed/);
    clock.advance(24 * 3_600_000);
    await drain();
    expect(standin.delivered.filter((d) => d.to === 'rebota@cliente.mx')).toHaveLength(0);
    // The NOC sees it, with the reason.
    const { app } = createApp({ db, config, now: clock.now });
    const { token } = createApiToken(db, 'noc-correo', clock.now());
    expect((await app.request('/api/v1/email/outbox')).status).toBe(401);
    const res = await app.request('/api/v1/email/outbox', { headers: { authorization: `Bearer ${token}` } });
    const body = await res.json();
    expect(body.failed).toBe(1);
    expect(body.failures[0]).toMatchObject({ recipient: 'rebota@cliente.mx', kind: 'incident.created', attempts: 1 });
    expect(body.failures[0].error).toMatch(/not allowed/);
  });

  it('gives up after the maximum attempts and keeps the last error for the NOC', async () => {
    const bad = resendTransport(db, config, { apiKey: 're_wrong', baseUrl: standin.url, requestsPerSecond: 0 });
    createIncident(
      db,
      {
        name: 'Falla en red troncal',
        status: 'investigating',
        body: 'Revisando.',
        components: { 'red-troncal': 'major_outage' },
      },
      ctx(),
    );
    for (let i = 0; i < 3; i++) {
      await drainOutbox(db, bad, { now: clock.now, maxAttempts: 3 });
      clock.advance(3_600_000);
    }
    const row = db
      .select()
      .from(outboxMessages)
      .all()
      .find((r) => r.kind === 'incident.created' && r.recipient === 'todo@cliente.mx' && r.status === 'failed');
    expect(row?.attempts).toBe(3);
    expect(row?.lastError).toMatch(/403 invalid_api_key/);
  });
});

describe('file transport (no RESEND_API_KEY)', () => {
  it('writes each message as an .eml file and logs one line', async () => {
    const fdb = freshDb();
    importSubscribers(fdb, [{ email: 'archivo@cliente.mx' }], ctx());
    createIncident(
      fdb,
      {
        name: 'Prueba de archivo',
        status: 'investigating',
        body: 'Cuerpo ñ.',
        components: { 'lerma-fibra': 'major_outage' },
      },
      ctx(),
    );
    const dir = join(mkdtempSync(join(tmpdir(), 'somnet-eml-')), 'outbox');
    const lines: string[] = [];
    await drainOutbox(
      fdb,
      fileTransport(fdb, config, dir, (l) => lines.push(l)),
      { now: clock.now },
    );
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const eml = readFileSync(join(dir, files[0]), 'utf8');
    expect(eml).toContain('To: archivo@cliente.mx');
    expect(eml).toMatch(/Subject: =\?UTF-8\?B\?/);
    expect(eml).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(
      Buffer.from(eml.split('Content-Transfer-Encoding: base64\r\n\r\n')[1].split('\r\n--')[0], 'base64').toString(),
    ).toContain('Cuerpo ñ.');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(dir);
    fdb.$client.close();
  });
});
