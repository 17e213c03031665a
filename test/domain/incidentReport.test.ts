// Markdown of incident reports with hostile input: nothing the NOC (or a stolen token) types
// may reach the page as markup or as a script URL.
import { describe, expect, it } from 'vitest';
import { REPORT_TEMPLATE, renderReportMarkdown } from '#db/domain/incidentReport.ts';

const hostile = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)>',
  '<iframe src="https://evil.example"></iframe>',
  '<a href="javascript:alert(1)">clic</a>',
  '<!-- comentario --><style>body{display:none}</style>',
  '[clic](javascript:alert(1))',
  '[clic](JaVaScRiPt:alert(1))',
  '[clic](  javascript:alert(1))',
  '[clic](javascript&colon;alert(1))',
  '[clic](&#106;avascript:alert(1))',
  '[clic](&#x6A;avascript:alert(1))',
  '[clic](<java\tscript:alert(1)>)',
  '[clic](<java\nscript:alert(1)>)',
  '[clic](vbscript:msgbox(1))',
  '[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[clic](file:///etc/passwd)',
  '[ref]: javascript:alert(1)\n\n[clic][ref]',
  '<javascript:alert(1)>',
  'javascript:alert(1)',
  '![x](javascript:alert(1))',
  '![x](https://tracker.example/pixel.png)',
  '[clic](https://a.example" onmouseover="alert(1))',
  '[clic](https://a.example "t\\" onclick=\\"alert(1)")',
  '`<script>alert(1)</script>`',
  '```html\n<script>alert(1)</script>\n```',
  '# <img src=x onerror=alert(1)>',
  '<div onclick="alert(1)">x</div>',
  ']]></content><script>alert(1)</script>',
];

/** Every attribute of every tag, as a browser would read it. */
function tags(html: string): Array<{ name: string; attrs: Record<string, string> }> {
  const out: Array<{ name: string; attrs: Record<string, string> }> = [];
  for (const m of html.matchAll(/<([a-z0-9]+)([^>]*)>/gi)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2].matchAll(/([a-z-]+)="([^"]*)"/gi)) attrs[a[1].toLowerCase()] = a[2];
    out.push({ name: m[1].toLowerCase(), attrs });
  }
  return out;
}

const ALLOWED_TAGS = new Set([
  'p',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'a',
  'strong',
  'em',
  'code',
  'pre',
  'blockquote',
  'hr',
  'br',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  's',
]);

describe('incident report Markdown', () => {
  it("renders the usual Markdown, headings below the page's h2", () => {
    const html = renderReportMarkdown(
      '# Causa raíz\n\nUn **corte** de fibra.\n\n## Cronología\n\n- 10:02 — alerta\n- 10:40 — [aviso](https://status.somnet.com.mx/incidentes/abc)',
    );
    expect(html).toContain('<h3>Causa raíz</h3>');
    expect(html).toContain('<h4>Cronología</h4>');
    expect(html).toContain('<strong>corte</strong>');
    expect(html).toContain(
      '<a href="https://status.somnet.com.mx/incidentes/abc" rel="nofollow noopener noreferrer">aviso</a>',
    );
    expect(renderReportMarkdown(REPORT_TEMPLATE)).toContain('<h4>Acciones correctivas</h4>');
  });

  it.each(hostile)('hostile input stays text: %j', (input) => {
    const html = renderReportMarkdown(input);
    for (const tag of tags(html)) {
      expect(ALLOWED_TAGS.has(tag.name), `${tag.name} in ${html}`).toBe(true);
      for (const [name, value] of Object.entries(tag.attrs)) {
        expect(['href', 'rel', 'title', 'class', 'start'], `${name} in ${html}`).toContain(name);
        if (name === 'href') {
          // The scheme a browser would see: controls and spaces removed, entities already decoded by the parser.
          const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value.replace(/[\u0000-\u0020]/g, ''))?.[1]?.toLowerCase();
          expect(scheme === undefined || ['http', 'https', 'mailto'].includes(scheme), `${value} in ${html}`).toBe(
            true,
          );
        }
        if (name === 'class') expect(value).toMatch(/^language-[a-z]+$/);
      }
    }
    // What was typed as markup is shown as text («&lt;img …»), never as a tag.
    expect(html).not.toMatch(/<(script|img|svg|iframe|style|div)\b/i);
  });
});
