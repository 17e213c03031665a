// Words by tense: the table of moments and the window phrases every channel uses.
import { describe, expect, it } from 'vitest';
import {
  affectedServicesSentence,
  noticeMoment,
  recipientReason,
  recipientReasonSentence,
  windowPhrase,
  type NoticeFacts,
} from '#db/domain/noticeWording.ts';

const d = (s: string) => new Date(s);

describe('windowPhrase (America/Mexico_City)', () => {
  it.each([
    // [from, until, reference, phrase]
    [
      '2026-12-12T06:00:00Z',
      '2026-12-12T09:00:00Z',
      '2026-12-07T16:00:00Z',
      'la noche del viernes 11 al sábado 12 de diciembre, de 00:00 a 03:00',
    ],
    [
      '2026-12-12T04:00:00Z',
      '2026-12-12T09:00:00Z',
      '2026-12-07T16:00:00Z',
      'la noche del viernes 11 al sábado 12 de diciembre, de 22:00 a 03:00',
    ],
    [
      '2026-12-01T06:00:00Z',
      '2026-12-01T09:00:00Z',
      '2026-11-20T16:00:00Z',
      'la noche del lunes 30 de noviembre al martes 1 de diciembre, de 00:00 a 03:00',
    ],
    [
      '2026-12-10T16:00:00Z',
      '2026-12-10T18:00:00Z',
      '2026-12-01T00:00:00Z',
      'el jueves 10 de diciembre, de 10:00 a 12:00',
    ],
    [
      '2026-12-11T04:00:00Z',
      '2026-12-11T06:00:00Z',
      '2026-12-01T00:00:00Z',
      'el jueves 10 de diciembre, de 22:00 a 00:00',
    ],
    [
      '2026-12-10T16:00:00Z',
      '2026-12-12T10:00:00Z',
      '2026-12-01T00:00:00Z',
      'del jueves 10 de diciembre, 10:00, al sábado 12 de diciembre, 04:00',
    ],
    [
      '2027-01-01T06:00:00Z',
      '2027-01-01T09:00:00Z',
      '2026-12-28T00:00:00Z',
      'la noche del jueves 31 de diciembre al viernes 1 de enero de 2027, de 00:00 a 03:00',
    ],
  ])('%s – %s', (from, until, reference, phrase) => {
    expect(windowPhrase(d(from), d(until), d(reference))).toBe(phrase);
  });
});

describe('noticeMoment', () => {
  const incident = (
    event: 'incident.created' | 'incident.updated' | 'incident.resolved',
    status: string,
  ): NoticeFacts => ({
    kind: 'incident',
    event,
    status,
    startedAt: d('2026-12-07T06:48:00Z'),
    resolvedAt: status === 'resolved' ? d('2026-12-07T08:08:00Z') : null,
    at: d('2026-12-07T08:10:00Z'),
  });
  const window = { from: d('2026-12-12T06:00:00Z'), until: d('2026-12-12T09:00:00Z') };
  const maintenance = (event: Extract<NoticeFacts, { kind: 'maintenance' }>['event'], at: string): NoticeFacts => ({
    kind: 'maintenance',
    event,
    window,
    startedAt: d('2026-12-12T06:02:00Z'),
    completedAt: d('2026-12-12T08:40:00Z'),
    at: d(at),
  });
  it.each([
    ['incident created', incident('incident.created', 'identified'), 'present'],
    ['incident update while monitoring', incident('incident.updated', 'monitoring'), 'monitoring'],
    ['incident resolved', incident('incident.resolved', 'resolved'), 'past'],
    ['maintenance announced days ahead', maintenance('maintenance.announced', '2026-12-07T16:00:00Z'), 'future'],
    ['emergency announced once begun', maintenance('maintenance.announced', '2026-12-12T06:30:00Z'), 'present'],
    ['maintenance reminder', maintenance('maintenance.reminder', '2026-12-11T06:00:00Z'), 'future'],
    ['maintenance started', maintenance('maintenance.started', '2026-12-12T06:02:00Z'), 'present'],
    ['maintenance completed', maintenance('maintenance.completed', '2026-12-12T08:40:00Z'), 'past'],
    ['maintenance cancelled', maintenance('maintenance.cancelled', '2026-12-08T16:00:00Z'), 'withdrawn'],
  ])('%s → %s', (_, facts, tense) => {
    expect(noticeMoment(facts).tense).toBe(tense);
  });

  it('words the services sentence in each tense', () => {
    const one = [{ serviceId: 'SOM-40110', label: 'Sucursal Centro' }];
    expect(affectedServicesSentence(one, incident('incident.created', 'identified'))).toBe(
      'Su servicio SOM-40110, Sucursal Centro se ve afectado.',
    );
    expect(affectedServicesSentence(one, incident('incident.resolved', 'resolved'))).toBe(
      'Su servicio SOM-40110, Sucursal Centro se vio afectado durante 1 h 20 min (de 00:48 a 02:08, hora del centro de México) y ya está restablecido.',
    );
    expect(affectedServicesSentence(one, maintenance('maintenance.announced', '2026-12-07T16:00:00Z'))).toBe(
      'Su servicio SOM-40110, Sucursal Centro se verá afectado la noche del viernes 11 al sábado 12 de diciembre, de 00:00 a 03:00 (hora del centro de México).',
    );
    expect(affectedServicesSentence(one, maintenance('maintenance.completed', '2026-12-12T08:40:00Z'))).toBe(
      'Su servicio SOM-40110, Sucursal Centro se vio afectado durante 2 h 38 min (de 00:02 a 02:40, hora del centro de México) y ya está restablecido.',
    );
    expect(affectedServicesSentence(one, maintenance('maintenance.cancelled', '2026-12-08T16:00:00Z'))).toBe(
      'Su servicio SOM-40110, Sucursal Centro ya no se verá afectado: se canceló el mantenimiento previsto para la noche del viernes 11 al sábado 12 de diciembre, de 00:00 a 03:00 (hora del centro de México).',
    );
    expect(
      affectedServicesSentence(
        [...one, { serviceId: 'SOM-40111', label: null }],
        incident('incident.updated', 'monitoring'),
      ),
    ).toBe(
      'Sus servicios SOM-40110, Sucursal Centro y SOM-40111 se vieron afectados; aplicamos una solución y los mantenemos en monitoreo.',
    );
  });
});

describe('why a recipient gets notices', () => {
  it('names the services a contact is registered for, else the kind of subscriber', () => {
    expect(
      recipientReasonSentence(
        recipientReason(
          [
            { serviceId: 'SOM-1', label: 'Matriz' },
            { serviceId: 'SOM-2', label: 'Bodega' },
          ],
          'technical_contact',
        ),
      ),
    ).toBe(
      'Recibe este aviso porque esta dirección figura como contacto técnico de los servicios SOM-1 y SOM-2 en los registros de SOMNET.',
    );
    expect(recipientReason([{ serviceId: 'SOM-1', label: null }], 'public')).toEqual({ kind: 'subscribed' });
    expect(recipientReason(undefined, 'technical_contact')).toEqual({ kind: 'registered' });
  });
});
