import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { makeEntry, PUBLIC_CACHE_CONTROL, type CachedEntry } from './cache.ts';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.geojson': 'application/geo+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * The build's client folder (bundled scripts and styles under /_astro/, pre-rendered pages,
 * public files), read into memory once at start with compressed forms and ETags. It is small
 * and never changes while the process runs.
 */
export function loadStaticFiles(dir: string, extraHeaders: Record<string, string> = {}): Map<string, CachedEntry> {
  const files = new Map<string, CachedEntry>();
  if (!existsSync(dir)) return files;
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      const urlPath = `/${relative(dir, full).split(sep).join('/')}`;
      const ext = extname(name).toLowerCase();
      const immutable = urlPath.startsWith('/_astro/');
      const headers: Record<string, string> = {
        'content-type': types[ext] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : PUBLIC_CACHE_CONTROL,
        'x-content-type-options': 'nosniff',
        ...(ext === '.html' ? extraHeaders : {}),
      };
      const entry = makeEntry(200, readFileSync(full), headers, Number.MAX_SAFE_INTEGER / 2);
      files.set(urlPath, entry);
      if (name === 'index.html') {
        const base = urlPath.slice(0, -'index.html'.length);
        files.set(base, entry);
        if (base.length > 1) files.set(base.slice(0, -1), entry);
      }
    }
  };
  walk(dir);
  return files;
}
