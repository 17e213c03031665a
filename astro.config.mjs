// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';

// Astro only renders pages. The Hono server in api/server.ts sits in front, keeps the rendered
// bytes in memory and serves them until the next write (see README, "Arquitectura").
export default defineConfig({
  srcDir: './site',
  output: 'server',
  adapter: node({ mode: 'middleware' }),
  // Pages are self-contained: one request per page, even on a failing link.
  build: { inlineStylesheets: 'always' },
  // The dev toolbar would ship JavaScript to public pages.
  devToolbar: { enabled: false },
  // Astro inlines small scripts into the page, which the site's CSP (script-src 'self', no
  // 'unsafe-inline') would block: scripts always go to /_astro/ files. Other assets keep
  // Vite's default limit.
  vite: { build: { assetsInlineLimit: (file) => (file.endsWith('.js') ? false : undefined) } },
  server: { port: Number(process.env.PORT ?? 4321) },
});
