// RSS 2.0, Atom 1.0 and JSON Feed 1.1 from the same view models the pages use. Pure functions:
// a snapshot in, a string out, so re-rendering the same data gives the same bytes (and GUIDs).
//
// A feed is a list of `FeedEntry`, built by one function per source: incidents give one entry
// per update (`incidentFeedEntries`), scheduled maintenance one per notice
// (`maintenanceFeedEntries`); `renderFeed` sorts them together.
import type { FeedScope, IncidentReportView, IncidentView, MaintenanceView } from '#db/queries/index.ts';
import { formatDateTime, formatWindow, ZONE_LABEL } from '#db/domain/time.ts';
import { SUPPORT_EMAIL } from '#db/supportChannels.ts';
import { ETA_UNKNOWN } from '#db/enums.ts';
import { escapeHtml } from './html.ts';
import { isLowImpactWindow, maintenanceNoticeLabel, windowAt } from '#db/domain/maintenance.ts';

export type FeedFormat = 'rss' | 'atom' | 'json';

export const FEED_CONTENT_TYPES: Record<FeedFormat, string> = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
};

export const FEED_LANGUAGE = 'es-MX';
const AUTHOR = { name: 'NOC de SOMNET', link: 'https://somnet.com.mx' };
const COPYRIGHT = 'SOMNET';
const FEED_DOCS = 'https://www.rssboard.org/rss-specification';
/**
 * RSS 2.0's item <author> is an email address ("email (name)"); a bare name is invalid there.
 * The support address of the customer manual (1.2). Only RSS items get it: `feed` would turn a
 * feed-level email into podcast owner tags.
 */
const RSS_ITEM_AUTHOR = { ...AUTHOR, email: SUPPORT_EMAIL };

/** One feed item: an incident update or a maintenance notice. */
export interface FeedEntry {
  kind: 'incident_update' | 'maintenance_notice' | 'incident_report';
  /** Stable forever: derived from the update's id only. */
  id: string;
  /** Plain text; escaped per format. */
  title: string;
  link: string;
  published: Date;
  updated: Date;
  /** Plain-text summary. */
  summary: string;
  /** HTML, already escaped. */
  contentHtml: string;
  /** Component names (full names), one category each. */
  categories: Array<{ term: string; label: string }>;
}

/**
 * XML 1.0 forbids most control characters even when escaped; a strict reader rejects the whole
 * feed. The noncharacters U+FDD0–U+FDEF go too: they are never text, and renderFeed uses two of
 * them as placeholders.
 */
export function stripControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFDD0-\uFDEF\uFFFE\uFFFF]/g, '');
}

/*
 * Two defects of the XML writer under `feed` (xml-js 1.6.11, js2xml.js), worked around here:
 * - writeCdata escapes with `cdata.replace(']]>', ']]]]><![CDATA[>')`, a string replace that
 *   changes only the FIRST `]]>`: a second one closes the CDATA section and whatever follows is
 *   markup, so an incident body could add a forged <item> to the RSS feed.
 * - writeAttributes escapes only `"`, and `feed` adds only `&`: a `<` in a category label
 *   (`Enlace <10 Mbps`) makes the Atom document not well-formed.
 * - writeText first turns every `&amp;` back into `&` ("to avoid double sanitization"), so a
 *   name typed as `AT&amp;T` reached RSS readers as `AT&T`.
 * Each such character is replaced by a noncharacter placeholder (stripped from the text first,
 * so it appears nowhere else), which the writer passes through untouched; in its output the
 * placeholder becomes the correct XML. The reader gets back exactly the original text.
 */
const CDATA_END = '\uFDD0';
const LT = '\uFDD1';
const AMP = '\uFDD2';
/** For text the library writes inside CDATA (item title, description, content). */
export const splitCdataEnds = (text: string) => text.replaceAll(']]>', `]]${CDATA_END}`);
/**
 * For text the library writes as element text or as an attribute: category labels (RSS text,
 * Atom attribute) and the feed's own title and description (the names of a component or area).
 */
export const escapeMarkup = (text: string) => text.replaceAll('&', AMP).replaceAll('<', LT);
export function resolvePlaceholders(xml: string): string {
  // `]]` + `]]><![CDATA[>`: the section ends after the two brackets, and a new one starts with `>`.
  return xml.replaceAll(CDATA_END, ']]><![CDATA[>').replaceAll(LT, '&lt;').replaceAll(AMP, '&amp;');
}

const when = (d: Date) => `${formatDateTime(d)} (${ZONE_LABEL})`;

/** One entry per update of each incident, with the incident's state as of that update. */
export function incidentFeedEntries(incidents: IncidentView[], publicUrl: string): FeedEntry[] {
  const entries: FeedEntry[] = [];
  for (const incident of incidents) {
    const components = incident.components;
    const categories = components.map((c) => ({ term: c.slug, label: c.fullName }));
    for (const update of incident.updates) {
      const affected = components.length ? components.map((c) => c.fullName).join(', ') : 'Sin componentes asociados';
      const cause = update.cause ?? incident.cause;
      const eta = update.status === 'resolved' ? null : update.eta;
      const facts: Array<[string, string]> = [
        ['Estado', update.statusLabel],
        ['Criticidad', incident.impactLabel],
        ['Componentes afectados', affected],
        ['Causa', cause ?? 'En investigación'],
        update.status === 'resolved'
          ? ['Restablecido', when(update.displayAt)]
          : ['Tiempo estimado de restauración', eta ? when(eta) : ETA_UNKNOWN],
        ['Publicado', when(update.displayAt)],
      ];
      const transitions = update.transitions.map((t) => `${t.name}: ${t.oldLabel} → ${t.newLabel}`);
      const contentHtml = [
        `<p>${escapeHtml(update.body).replace(/\n/g, '<br>')}</p>`,
        `<ul>${facts.map(([k, v]) => `<li><strong>${escapeHtml(k)}:</strong> ${escapeHtml(v)}</li>`).join('')}</ul>`,
        transitions.length
          ? `<p>Cambios de estado:</p><ul>${transitions.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul>`
          : '',
      ].join('');
      entries.push({
        kind: 'incident_update',
        id: `${publicUrl}/incidentes/${incident.id}#actualizacion-${update.id}`,
        title: `[${update.statusLabel}] ${incident.name}`,
        link: `${publicUrl}/incidentes/${incident.id}#actualizacion-${update.id}`,
        published: update.displayAt,
        updated: update.displayAt,
        summary: `${update.body} — ${facts
          .slice(1, 5)
          .map(([k, v]) => `${k}: ${v}`)
          .join('. ')}.`,
        contentHtml,
        categories,
      });
    }
  }
  return entries;
}

/**
 * One entry per incident report, its id stable across revisions (a reader's feed shows the
 * revised text in place, dated by its last revision).
 */
export function reportFeedEntries(
  incidents: IncidentView[],
  reports: Map<string, IncidentReportView>,
  publicUrl: string,
): FeedEntry[] {
  const entries: FeedEntry[] = [];
  for (const incident of incidents) {
    const report = reports.get(incident.id);
    if (!report) continue;
    const revised = report.version > 1 ? ` Última revisión: ${when(report.revisedAt)}.` : '';
    entries.push({
      kind: 'incident_report',
      id: `${publicUrl}/incidentes/${incident.id}#informe`,
      title: `[Informe del incidente] ${incident.name}`,
      link: `${publicUrl}/incidentes/${incident.id}#informe`,
      published: report.publishedAt,
      updated: report.revisedAt,
      summary: `Informe del incidente «${incident.name}» (criticidad ${incident.impactLabel.toLowerCase()}): causa raíz, qué vieron los clientes, cronología y acciones correctivas.${revised}`,
      contentHtml: report.html,
      categories: incident.components.map((c) => ({ term: c.slug, label: c.fullName })),
    });
  }
  return entries;
}

/**
 * One entry per maintenance notice (every maintenance_updates row: announcement, reschedule,
 * start, posted update, completion, cancellation). Each shows the window as it stood when the
 * notice was published, so a later reschedule does not rewrite earlier items.
 */
export function maintenanceFeedEntries(maintenances: MaintenanceView[], publicUrl: string): FeedEntry[] {
  const entries: FeedEntry[] = [];
  for (const m of maintenances) {
    const categories = m.components.map((c) => ({ term: c.slug, label: c.fullName }));
    const affected = m.components.length ? m.components.map((c) => c.fullName).join(', ') : 'Sin componentes asociados';
    for (const update of m.updates) {
      const label = maintenanceNoticeLabel(update);
      const window = windowAt(m, m.scheduleChanges, update.createdAt);
      const facts: Array<[string, string]> = [
        ['Estado', label],
        ['Ventana', formatWindow(window.scheduledFor, window.scheduledUntil)],
        ['Afectación esperada', m.impactLabel],
        ['Componentes afectados', affected],
        [
          'Horario',
          isLowImpactWindow(window.scheduledFor, window.scheduledUntil)
            ? 'Dentro del horario de bajo impacto (00:00–04:00)'
            : 'Fuera del horario de bajo impacto (00:00–04:00)',
        ],
        ...(m.emergency ? [['Mantenimiento de emergencia', m.emergencyReason ?? 'Sí'] as [string, string]] : []),
        ['Publicado', when(update.createdAt)],
      ];
      const transitions = update.transitions.map((t) => `${t.name}: ${t.oldLabel} → ${t.newLabel}`);
      const contentHtml = [
        `<p>${escapeHtml(update.body).replace(/\n/g, '<br>')}</p>`,
        `<ul>${facts.map(([k, v]) => `<li><strong>${escapeHtml(k)}:</strong> ${escapeHtml(v)}</li>`).join('')}</ul>`,
        transitions.length
          ? `<p>Cambios de estado:</p><ul>${transitions.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul>`
          : '',
      ].join('');
      const link = `${publicUrl}/mantenimiento/${m.id}#actualizacion-${update.id}`;
      entries.push({
        kind: 'maintenance_notice',
        id: link,
        title: `[${label}] ${m.name}`,
        link,
        published: update.createdAt,
        updated: update.createdAt,
        summary: `${update.body} — ${facts
          .slice(1, 4)
          .map(([k, v]) => `${k}: ${v}`)
          .join('. ')}.`,
        contentHtml,
        categories,
      });
    }
  }
  return entries;
}

export interface FeedDocument {
  title: string;
  description: string;
  /** Page the feed is about (HTML). */
  link: string;
  /** The feed's own URLs without extension, e.g. `${publicUrl}/feed` or `${publicUrl}/componentes/toluca/feed`. */
  selfBase: string;
  /** When the document last changed; the feed's `updated`. */
  updated: Date;
  entries: FeedEntry[];
  /** Most items in a feed. */
  limit?: number;
}

/** Newest first; ties broken by id so the order never changes between renders. */
export function sortEntries(entries: FeedEntry[]): FeedEntry[] {
  return [...entries].sort(
    (a, b) => b.updated.getTime() - a.updated.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

/** The entries a feed lists: newest first, at most its limit, control characters stripped. */
export function feedEntries(doc: FeedDocument): FeedEntry[] {
  return sortEntries(doc.entries)
    .slice(0, doc.limit ?? 100)
    .map((e) => ({
      ...e,
      title: stripControlCharacters(e.title),
      summary: stripControlCharacters(e.summary),
      contentHtml: stripControlCharacters(e.contentHtml),
      categories: e.categories.map((c) => ({ term: c.term, label: stripControlCharacters(c.label) })),
    }));
}

export function renderFeed(doc: FeedDocument, format: FeedFormat): string {
  const entries = feedEntries(doc);
  if (format === 'json') return jsonFeed11(doc, entries);
  const head = {
    title: escapeMarkup(stripControlCharacters(doc.title)),
    description: escapeMarkup(stripControlCharacters(doc.description)),
    link: doc.link,
    updated: doc.updated,
    selfBase: doc.selfBase,
  };
  if (format === 'rss') return resolvePlaceholders(rss2(head, entries));
  return resolvePlaceholders(atom1(head, entries));
}

/*
 * The RSS and Atom documents are written here as the `feed` library (6.0.0) writes them through
 * xml-js's js2xml (compact, 4 spaces): the same elements, order, indentation and escaping, byte
 * for byte (test/feeds/feedWriter.test.ts compares both on hostile text). Building its object
 * tree and walking it again was most of a feed's rendering: a full publish of 200 components
 * renders 600 component feeds.
 */

/** js2xml's writeText: `&amp;` first turned back into `&` (see above), then `&`, `<`, `>` escaped. */
const xmlText = (text: string) =>
  text.replace(/&amp;/g, '&').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** js2xml's writeAttributes: only `"` is escaped. */
const xmlAttr = (value: string) => value.replace(/"/g, '&quot;');
/** js2xml's writeCdata (the first `]]>` split; splitCdataEnds leaves none). */
const xmlCdata = (text: string) => `<![CDATA[${text.replace(']]>', ']]]]><![CDATA[>')}]]>`;
/** `feed`'s sanitize and sanitizeUrl. */
const escapeAmp = (value: string) => value.replace(/&/g, '&amp;');
const sanitizeUrl = (url: string) => escapeAmp(new URL(url).toString());
/** An element `feed` gives as a string (js2xml writes an empty one as `<name/>`): Atom's. */
const element = (name: string, value: string) => (value === '' ? `<${name}/>` : `<${name}>${xmlText(value)}</${name}>`);
/** An element `feed` gives as `{ _text }`: RSS's. */
const textElement = (name: string, value: string) => `<${name}>${xmlText(value)}</${name}>`;
const INDENT = ['', '\n    ', '\n        ', '\n            '];
const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';
const RSS_ITEM_AUTHOR_TEXT = xmlText(`${RSS_ITEM_AUTHOR.email} (${RSS_ITEM_AUTHOR.name})`);

interface FeedHead {
  /** Title and description with escapeMarkup's placeholders. */
  title: string;
  description: string;
  link: string;
  updated: Date;
  selfBase: string;
}

function rss2(head: FeedHead, entries: FeedEntry[]): string {
  const [, i1, i2, i3] = INDENT;
  const out: string[] = [];
  let needsContentNamespace = false;
  for (const e of entries) {
    out.push(i2, '<item>');
    const title = splitCdataEnds(e.title);
    if (title) out.push(i3, '<title>', xmlCdata(title), '</title>');
    if (e.link) out.push(i3, textElement('link', sanitizeUrl(e.link)));
    out.push(i3, '<guid isPermaLink="false">', xmlText(e.id), '</guid>');
    out.push(i3, textElement('pubDate', e.published.toUTCString()));
    const description = splitCdataEnds(escapeHtml(e.summary));
    if (description) out.push(i3, '<description>', xmlCdata(description), '</description>');
    const content = splitCdataEnds(e.contentHtml);
    if (content) {
      needsContentNamespace = true;
      out.push(i3, '<content:encoded>', xmlCdata(content), '</content:encoded>');
    }
    out.push(i3, '<author>', RSS_ITEM_AUTHOR_TEXT, '</author>');
    for (const c of e.categories) out.push(i3, '<category>', xmlText(escapeMarkup(c.label)), '</category>');
    out.push(i2, '</item>');
  }
  const namespaces = needsContentNamespace
    ? ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    : '';
  return [
    XML_DECLARATION,
    `\n<rss version="2.0"${namespaces} xmlns:atom="http://www.w3.org/2005/Atom">`,
    i1,
    '<channel>',
    i2,
    `<title>${xmlText(head.title)}</title>`,
    i2,
    `<link>${xmlText(sanitizeUrl(head.link))}</link>`,
    i2,
    `<description>${xmlText(head.description)}</description>`,
    i2,
    `<lastBuildDate>${xmlText(head.updated.toUTCString())}</lastBuildDate>`,
    i2,
    `<docs>${xmlText(FEED_DOCS)}</docs>`,
    i2,
    `<language>${xmlText(FEED_LANGUAGE)}</language>`,
    i2,
    `<copyright>${xmlText(COPYRIGHT)}</copyright>`,
    i2,
    `<atom:link href="${xmlAttr(sanitizeUrl(`${head.selfBase}.rss`))}" rel="self" type="application/rss+xml"/>`,
    ...out,
    i1,
    '</channel>',
    '\n</rss>',
  ].join('');
}

function atomAuthor(indent: string, inner: string): string {
  return `${indent}<author>${inner}${element('name', AUTHOR.name)}${inner}${element('uri', sanitizeUrl(AUTHOR.link))}${indent}</author>`;
}

function atom1(head: FeedHead, entries: FeedEntry[]): string {
  const [, i1, i2, i3] = INDENT;
  const out: string[] = [
    XML_DECLARATION,
    // xml:lang (RFC 4287 §2), which `feed` does not write: without it the Atom feed is the only one that does not say es-MX.
    `\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${FEED_LANGUAGE}">`,
    i1,
    element('id', `${head.selfBase}.atom`),
    i1,
    element('title', head.title),
    i1,
    element('updated', head.updated.toISOString()),
    atomAuthor(i1, i2),
    i1,
    `<link rel="alternate" href="${xmlAttr(sanitizeUrl(head.link))}"/>`,
    i1,
    `<link rel="self" href="${xmlAttr(sanitizeUrl(`${head.selfBase}.atom`))}"/>`,
  ];
  if (head.description) out.push(i1, element('subtitle', head.description));
  out.push(i1, element('rights', COPYRIGHT));
  for (const e of entries) {
    out.push(i1, '<entry>');
    // Atom's title is declared type="html": its text must be escaped HTML.
    out.push(i2, '<title type="html">', xmlCdata(splitCdataEnds(escapeHtml(e.title))), '</title>');
    out.push(i2, element('id', sanitizeUrl(e.id)));
    out.push(i2, `<link href="${xmlAttr(sanitizeUrl(e.link))}"/>`);
    out.push(i2, element('updated', e.updated.toISOString()));
    const summary = splitCdataEnds(escapeHtml(e.summary));
    if (summary) out.push(i2, '<summary type="html">', xmlCdata(summary), '</summary>');
    const content = splitCdataEnds(e.contentHtml);
    if (content) out.push(i2, '<content type="html">', xmlCdata(content), '</content>');
    out.push(atomAuthor(i2, i3));
    for (const c of e.categories)
      out.push(
        i2,
        `<category label="${xmlAttr(escapeAmp(escapeMarkup(c.label)))}" term="${xmlAttr(escapeAmp(c.term))}"/>`,
      );
    out.push(i2, element('published', e.published.toISOString()));
    out.push(i1, '</entry>');
  }
  out.push('\n</feed>');
  return out.join('');
}

/**
 * JSON Feed version 1.1 (https://jsonfeed.org/version/1.1), as `feed` wrote its version 1 with
 * `author` replaced by `authors` and `language` added: the same keys in the same order.
 */
function jsonFeed11(doc: FeedDocument, entries: FeedEntry[]): string {
  const items = entries.map((e) => {
    const item: Record<string, unknown> = { id: e.id, content_html: e.contentHtml };
    if (e.link) item.url = e.link;
    if (e.title) item.title = e.title;
    if (e.summary && e.contentHtml) item.summary = e.summary;
    item.date_modified = e.updated.toISOString();
    item.date_published = e.published.toISOString();
    item.tags = e.categories.map((c) => c.label);
    item.summary = e.summary;
    item.authors = [{ name: AUTHOR.name, url: AUTHOR.link }];
    item.language = FEED_LANGUAGE;
    return item;
  });
  return JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: doc.title,
    home_page_url: doc.link,
    feed_url: `${doc.selfBase}.json`,
    description: doc.description,
    language: FEED_LANGUAGE,
    authors: [{ name: AUTHOR.name, url: AUTHOR.link }],
    items,
  });
}

/** Title, description and page link of a feed for its scope. */
export function feedDocumentFor(
  scope: FeedScope,
  publicUrl: string,
): Pick<FeedDocument, 'title' | 'description' | 'link' | 'selfBase'> {
  if (scope.kind === 'page') {
    return {
      title: 'Estado de la red SOMNET',
      description:
        'Incidentes y mantenimientos programados de la red de SOMNET: cada actualización y cada aviso, con causa, criticidad, tiempo estimado de restauración y ventanas de mantenimiento.',
      link: `${publicUrl}/`,
      selfBase: `${publicUrl}/feed`,
    };
  }
  const ref = scope.kind === 'group' ? scope.group.slug : scope.component.slug;
  const name = scope.kind === 'group' ? scope.group.name : scope.component.fullName;
  // Each area has its page (/zonas/<group slug>); ungrouped components link home.
  const groupSlug = scope.kind === 'group' ? scope.group.slug : scope.groupSlug;
  return {
    title: `Estado de la red SOMNET · ${name}`,
    description: `Incidentes y mantenimientos programados que afectan a ${name}: cada actualización y cada aviso, con causa, criticidad, tiempo estimado de restauración y ventanas de mantenimiento.`,
    link: groupSlug ? `${publicUrl}/zonas/${groupSlug}` : `${publicUrl}/`,
    selfBase: `${publicUrl}/componentes/${ref}/feed`,
  };
}
