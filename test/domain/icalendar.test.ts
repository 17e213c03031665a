// The RFC 5545 writer (db/domain/icalendar.ts) directly.
import { describe, expect, it } from 'vitest';
import { contentLine, escapeText, foldLine, icsDocument, paramValue, utcDateTime } from '#db/domain/icalendar.ts';

describe('RFC 5545 writer', () => {
  it('escapes TEXT values (§3.3.11) and quotes parameter values (§3.2)', () => {
    expect(escapeText('a\\b;c,d\ne\r\nf')).toBe('a\\\\b\\;c\\,d\\ne\\nf');
    expect(paramValue('Metepec · Fibra')).toBe('Metepec · Fibra');
    expect(paramValue('Zona: "norte"; sur')).toBe(`"Zona: 'norte'; sur"`);
    expect(paramValue('a\nX-INJECTED:1')).toBe('"a X-INJECTED:1"');
  });

  it('writes UTC date-times (§3.3.5 form #2)', () => {
    expect(utcDateTime(new Date('2026-12-01T06:00:00.123Z'))).toBe('20261201T060000Z');
  });

  it('folds at 75 octets without splitting a UTF-8 character (§3.1)', () => {
    const line = `DESCRIPTION:${'ñ'.repeat(100)}`;
    const folded = foldLine(line);
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(75);
    expect(parts.slice(1).every((p) => p.startsWith(' '))).toBe(true);
    expect(parts.map((p, i) => (i ? p.slice(1) : p)).join('')).toBe(line);
    expect(foldLine('SHORT:x')).toBe('SHORT:x');
  });

  it('joins content lines with CRLF and ends with one', () => {
    expect(contentLine(['X-OBJ', 'a', { NAME: 'b;c' }])).toBe('X-OBJ;NAME="b;c":a');
    expect(
      icsDocument([
        ['BEGIN', 'VCALENDAR'],
        ['END', 'VCALENDAR'],
      ]),
    ).toBe('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
  });
});
