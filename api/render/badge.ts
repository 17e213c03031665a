// A shields-style SVG badge: "SOMNET | Operativo". Pure; the text is escaped as XML.
import { componentStatusShortLabels, type ComponentStatus } from '#db/enums.ts';
import { stripControlCharacters } from './feeds.ts';
import { escapeHtml } from './html.ts';

/** WCAG AA contrast against white text (4.5:1 or better). */
const colours: Record<ComponentStatus, string> = {
  operational: '#1a7f37',
  degraded_performance: '#7d4e00',
  partial_outage: '#bc4c00',
  major_outage: '#cf222e',
  under_maintenance: '#0969da',
};

/** Approximate advance of 11 px Verdana, enough to size the two boxes. */
function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += /[mwMW]/.test(ch) ? 10 : /[A-ZÁÉÍÓÚÑ]/.test(ch) ? 8 : /[il.,:;|' ]/.test(ch) ? 4 : 7;
  return w;
}

export function statusBadgeSvg(rawLabel: string, status: ComponentStatus): string {
  // XML 1.0 has no escape for most control characters: they are dropped.
  const label = stripControlCharacters(rawLabel);
  const value = componentStatusShortLabels[status];
  const lw = textWidth(label) + 12;
  const vw = textWidth(value) + 12;
  const width = lw + vw;
  const l = escapeHtml(label);
  const v = escapeHtml(value);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${l}: ${v}" lang="es-MX">` +
    `<title>${l}: ${v}</title>` +
    `<rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${vw}" height="20" fill="${colours[status]}"/>` +
    `<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">` +
    `<text x="${lw / 2}" y="14">${l}</text><text x="${lw + vw / 2}" y="14">${v}</text></g></svg>`
  );
}
