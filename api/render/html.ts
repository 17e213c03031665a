/**
 * The one HTML/XML text escape of the server's hand-written markup (feeds' HTML content, badge
 * SVG, email bodies, the 413 page). Astro pages escape by themselves; iCalendar has its own
 * rules (`escapeText` in db/domain/icalendar.ts).
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}
