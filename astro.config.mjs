// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';
import { fileURLToPath, pathToFileURL } from 'node:url';

// db/ stays outside the page bundle: pages then load the very modules the API loads, so a
// command run from a page (the NOC console) shares the one registry of commit listeners
// (public cache invalidation) and notification channels instead of a bundled copy.
const dbDir = fileURLToPath(new URL('./db/', import.meta.url));

// Behind nginx or a CDN the request reaches Node as http://127.0.0.1. Astro believes
// X-Forwarded-Proto/Host/For only for the hosts listed in security.allowedDomains; listing every
// host here keeps the build independent of PUBLIC_URL (one build serves every install), and the
// rule is applied at run time instead: api/clientIp.ts removes those headers before Astro sees a
// request unless they come from our proxy (a loopback peer, for PUBLIC_URL's host). Form posts
// proxied from https://status.somnet.com.mx then pass the origin check.
const allowedDomains = [{ protocol: 'https' }, { protocol: 'http' }];

// Astro only renders pages. The Hono server in api/server.ts sits in front, keeps the rendered
// bytes in memory and serves them until the next write (see docs/architecture.md, "The cache").
export default defineConfig({
  srcDir: './site',
  output: 'server',
  // Every page is rendered to one string, not streamed in pieces: the server keeps whole pages
  // (api/pages.ts captures them before anything is sent) and the publisher writes whole files,
  // so streaming only cost a ReadableStream, a UTF-8 encoding and a Buffer per piece. Same bytes
  // (an export of 5,629 paths compared file by file); an incident page 8 % less CPU (1.80 → 1.66
  // ms at 20,000 incidents).
  adapter: node({ mode: 'middleware', experimentalDisableStreaming: true }),
  // Pages are self-contained: one request per page, even on a failing link.
  build: { inlineStylesheets: 'always' },
  // The dev toolbar would ship JavaScript to public pages.
  devToolbar: { enabled: false },
  security: { allowedDomains },
  vite: {
    // Astro inlines small scripts into the page, which the site's CSP (script-src 'self', no
    // 'unsafe-inline') would block: scripts always go to /_astro/ files. Other assets keep
    // Vite's default limit.
    build: { assetsInlineLimit: (file) => (file.endsWith('.js') ? false : undefined) },
    plugins: [
      {
        name: 'somnet-db-outside-bundle',
        apply: 'build',
        enforce: 'pre',
        async resolveId(source, importer, options) {
          // Only the server build: browser bundles (the coverage map) must include what they use.
          // Relative imports and the `#db/*` alias (package.json `imports`) both reach db/.
          if (
            !importer ||
            !(source.startsWith('.') || source.startsWith('#db/')) ||
            this.environment?.config.consumer !== 'server'
          )
            return null;
          const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
          // An absolute file: URL, so Node resolves it to the same module the API imported. The build
          // is made in place by `npm start` (api/build.ts), so the absolute path is always right.
          return resolved && resolved.id.startsWith(dbDir)
            ? { id: pathToFileURL(resolved.id).href, external: true }
            : null;
        },
      },
    ],
  },
});
