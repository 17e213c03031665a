// The incident report ("Informe del incidente"): Markdown written by the NOC, rendered with
// markdown-it for the incident page, the feeds and the email. Raw HTML is never passed through
// (html: false escapes it), links may only be http(s), mailto or relative, images are off (the
// page's CSP allows none from elsewhere), and headings start below the page's own.
import MarkdownIt from 'markdown-it';

/**
 * What the console's editor starts from: the four parts every report covers (root cause, what
 * customers saw, timeline, corrective actions).
 */
export const REPORT_TEMPLATE = [
  '## Causa raíz',
  '',
  '',
  '## Qué vieron los clientes',
  '',
  '',
  '## Cronología',
  '',
  '- 10:02 — ',
  '',
  '## Acciones correctivas',
  '',
  '- ',
  '',
].join('\n');

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
md.disable(['image']);

// Browsers drop tabs, line breaks and other controls inside a URL before reading its scheme
// ("java\tscript:"), so the scheme is judged on the URL without them.
const CONTROLS_AND_SPACES = /[\u0000-\u0020\u007f-\u009f\u00a0\u2000-\u200f\u2028\u2029\ufeff]/g;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const ALLOWED_SCHEMES = new Set(['http', 'https', 'mailto']);

md.validateLink = (url: string): boolean => {
  const bare = url.replace(CONTROLS_AND_SPACES, '');
  const scheme = SCHEME.exec(bare);
  // Without a scheme: a path, an anchor or a protocol-relative URL of the web. (markdown-it
  // decodes entities before this and percent-encodes what remains, so «javascript&colon;» and a
  // tab inside the scheme reach here decoded or as %09, never as a live scheme.)
  if (!scheme) return true;
  return ALLOWED_SCHEMES.has(scheme[1].toLowerCase());
};

// The page's report section is an h2: a "#" in the report is an h3, never more than h6.
md.renderer.rules.heading_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 2)}`;
  return self.renderToken(tokens, idx, options);
};
md.renderer.rules.heading_close = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 2)}`;
  return self.renderToken(tokens, idx, options);
};

// Links leave the status site: no referrer tricks, no ranking for whatever the link points to.
md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  tokens[idx].attrSet('rel', 'nofollow noopener noreferrer');
  return self.renderToken(tokens, idx, options);
};

/** The report's HTML: safe to place inside a page, a feed's content or an email. */
export function renderReportMarkdown(source: string): string {
  return md.render(source);
}
