// The NOC before publishing: recipients counted per channel («se avisará a 3 correos, 2 WhatsApp,
// 1 SMS y 1 canal de Teams») in the composer and the maintenance check, and one more confirmation
// when the paid messages (SMS + WhatsApp) pass NOTIFY_CONFIRM_ABOVE.
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createConsoleUser } from '#db/commands/consoleUsers.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { componentCatalogue } from '#db/queries/index.ts';
import { audienceFor } from '#db/notifications/audience.ts';
import { channelCountsPhrase } from '#db/subscriptions/channels.ts';
import '#db/notifications/channels.ts';
import { isRedirect, type ConsoleRequest } from '../../site/console/action.ts';
import { incidentComposerPage } from '../../site/console/incidents.ts';
import { newMaintenancePage } from '../../site/console/maintenances.ts';
import { randomToken } from '../../site/console/session.ts';
import { freshDb } from '../support/db.ts';

const db = freshDb();
const now = new Date('2026-11-26T16:00:00Z');
const cli = { now, actor: { kind: 'cli' as const, name: 'pruebas' } };
const admin = createConsoleUser(db, { email: 'jefa@somnet.com.mx', role: 'admin', passwordHash: 'x' }, cli);
const req: ConsoleRequest = {
  db,
  now,
  session: { user: { id: admin.id, email: admin.email, role: 'admin', mustChangePassword: false } },
};
const metepec = componentCatalogue(db).all.find((c) => c.slug === 'metepec-fibra')!;
function form(fields: Record<string, string>): FormData {
  const f = new FormData();
  f.set('idem', randomToken());
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

importSubscribers(
  db,
  [
    { email: 'uno@cliente.mx', components: ['metepec-fibra'] },
    { email: 'dos@cliente.mx' },
    { email: 'tres@cliente.mx', components: ['metepec-fibra', 'lerma-fibra'] },
    { email: 'lejos@cliente.mx', components: ['lerma-fibra'] },
    { channel: 'whatsapp', address: '722 100 0001', components: ['metepec-fibra'] },
    { channel: 'whatsapp', address: '722 100 0002' },
    { channel: 'sms', address: '722 100 0003', components: ['metepec-fibra'] },
    {
      channel: 'teams',
      address: 'https://prod-1.westus.logic.azure.com/workflows/a/triggers/manual/paths/invoke?sig=x',
    },
  ],
  cli,
);

describe('recipients per channel', () => {
  it('counts who a notice on these components reaches, on each channel', () => {
    const audience = audienceFor(db, { componentIds: [metepec.id] });
    expect(channelCountsPhrase(audience)).toBe('3 correos, 2 WhatsApp, 1 SMS y 1 canal de Teams');
  });

  const fields = {
    name: 'Corte de fibra en Metepec',
    impact: 'critical',
    status: 'identified',
    body: 'Cuadrilla en camino.',
    componente: metepec.id,
    notificar: '1',
  };

  it('the composer’s preview says it, and above NOTIFY_CONFIRM_ABOVE paid messages publishing asks once more', () => {
    const options = { template: null, publicUrl: 'https://status.example.test', confirmAbove: 2 };
    const preview = incidentComposerPage(req, options, form({ ...fields, accion: 'vista-previa' }));
    if (isRedirect(preview)) throw new Error('expected a preview');
    expect(channelCountsPhrase(preview.view.audience)).toBe('3 correos, 2 WhatsApp, 1 SMS y 1 canal de Teams');
    expect(preview.view.paidConfirmation).toEqual({ paid: 3, threshold: 2, missing: false });
    const vista = preview.view.fingerprint!;
    const refused = incidentComposerPage(req, options, form({ ...fields, accion: 'publicar', vista }));
    expect(isRedirect(refused)).toBe(false);
    if (isRedirect(refused)) return;
    expect(refused.view.paidConfirmation?.missing).toBe(true);
    expect(refused.view.notice).toMatch(/3 mensajes con costo/);
    expect(db.get<{ n: number }>(sql`select count(*) as n from incidents`).n).toBe(0);
    const published = incidentComposerPage(
      req,
      options,
      form({ ...fields, accion: 'publicar', vista, confirmar_costo: vista }),
    );
    expect(isRedirect(published)).toBe(true);
    expect(
      db.all<{ channel: string; n: number }>(
        sql`select channel, count(*) as n from outbox_messages where kind = 'incident.created' group by channel order by channel`,
      ),
    ).toEqual([
      { channel: 'email', n: 3 },
      { channel: 'sms', n: 1 },
      { channel: 'teams', n: 1 },
      { channel: 'whatsapp', n: 2 },
    ]);
  });

  it('under the threshold (default 500) nothing more is asked', () => {
    const preview = incidentComposerPage(
      req,
      { template: null, publicUrl: 'x' },
      form({ ...fields, name: 'Otra falla', accion: 'vista-previa' }),
    );
    if (isRedirect(preview)) throw new Error('expected a preview');
    expect(preview.view.paidConfirmation).toBeUndefined();
  });

  it('the maintenance check counts the announcement’s recipients per channel', () => {
    const checked = newMaintenancePage(
      req,
      { maxHours: 12 },
      form({
        name: 'Cambio de tarjetas',
        body: 'Cortes breves.',
        scheduled_for: '2026-12-05T00:00',
        scheduled_until: '2026-12-05T02:00',
        componente: metepec.id,
        accion: 'comprobar',
      }),
    );
    if (isRedirect(checked)) throw new Error('expected the check');
    expect(channelCountsPhrase(checked.view.audience!)).toBe('3 correos, 2 WhatsApp, 1 SMS y 1 canal de Teams');
  });
});
