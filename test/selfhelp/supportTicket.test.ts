import { describe, expect, it } from 'vitest';
import { parseCriticality, ticketBody, ticketMailto, ticketSubject } from '../../site/lib/supportTicket.ts';
import { diagnosisSummary, parseAnswers, suggestedCriticality } from '../../site/lib/selfDiagnosis.ts';

describe('ticketSubject', () => {
  it('produces exactly the manual shape with en dashes', () => {
    expect(
      ticketSubject({
        criticality: 'Alta',
        service: 'Internet por fibra óptica',
        customer: 'Comercial Toluca SA / C-10422',
      }),
    ).toBe('[Criticidad: Alta] \u2013 Falla en Internet por fibra óptica \u2013 Comercial Toluca SA / C-10422');
  });

  it('uses U+2013 and never a hyphen or em dash as separator', () => {
    const subject = ticketSubject({ criticality: 'Baja', service: 'Portal', customer: 'Acme' });
    expect(subject).toBe('[Criticidad: Baja] – Falla en Portal – Acme');
    expect([...subject].filter((ch) => ch === '\u2013')).toHaveLength(2);
    expect(subject).not.toMatch(/ - |\u2014/);
  });

  it('keeps one line: pasted line breaks and runs of spaces collapse', () => {
    expect(ticketSubject({ criticality: 'Media', service: '  Enlace\n dedicado ', customer: 'Acme\r\n  SA' })).toBe(
      '[Criticidad: Media] – Falla en Enlace dedicado – Acme SA',
    );
  });

  it('shows the placeholders of the manual for empty fields', () => {
    expect(ticketSubject({ criticality: 'Media', service: ' ', customer: '' })).toBe(
      '[Criticidad: Media] – Falla en [Servicio] – [Nombre de su Empresa / ID de Cliente]',
    );
  });
});

describe('ticketMailto', () => {
  it('encodes subject and body so mail clients read them back intact', () => {
    const subject = ticketSubject({ criticality: 'Alta', service: 'Fibra', customer: 'A&B / 7' });
    const body = ticketBody({ serviceId: 'SVC-1', diagnosis: '- Reinicio: sí' });
    const link = ticketMailto(subject, body);
    expect(link.startsWith('mailto:soporte@somnet.com.mx?subject=')).toBe(true);
    const url = new URL(link);
    expect(url.searchParams.get('subject')).toBe(subject);
    expect(url.searchParams.get('body')).toBe(body.replace(/\n/g, '\r\n'));
    expect(link).not.toContain('+');
    expect(link).toContain('%E2%80%93');
  });

  it('body template asks the four facts of manual 1.2', () => {
    const body = ticketBody();
    for (const fact of [
      'ID del servicio afectado',
      'Resultados del autodiagnóstico',
      '¿Desde cuándo ocurre el problema?',
      '¿Afecta a todos los usuarios o solo a algunos?',
    ]) {
      expect(body).toContain(fact);
    }
  });
});

describe('parseCriticality', () => {
  it('accepts the three levels in any case and rejects the rest', () => {
    expect(parseCriticality('alta')).toBe('Alta');
    expect(parseCriticality(' MEDIA ')).toBe('Media');
    expect(parseCriticality('urgente')).toBeNull();
    expect(parseCriticality(null)).toBeNull();
  });
});

describe('self-diagnosis results', () => {
  it('reads only known answers and suggests a criticality from them', () => {
    const answers = parseAnswers(new URLSearchParams('reinicio=si&leds=rojo&cable=falla&otra=x'));
    expect(answers).toEqual({ reinicio: 'si', leds: 'rojo', cable: 'falla' });
    expect(suggestedCriticality(answers)).toBe('Alta');
    expect(suggestedCriticality({ ...answers, cable: 'funciona' })).toBe('Baja');
    expect(suggestedCriticality({ reinicio: 'si', leds: 'ambar', cable: 'falla' })).toBe('Media');
    expect(parseAnswers(new URLSearchParams('leds=morado'))).toEqual({});
  });

  it('summary lists the area and each step, unanswered ones marked', () => {
    const text = diagnosisSummary({ reinicio: 'si' }, 'Metepec');
    expect(text.split('\n')[0]).toBe('- Zona: Metepec.');
    expect(text).toContain('sin responder');
  });
});
