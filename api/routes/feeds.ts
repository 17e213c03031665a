import { Hono, type Context } from 'hono';
import {
  componentCatalogue,
  feedScopeFor,
  feedSnapshot,
  unknownRefMessage,
  type FeedScope,
} from '#db/queries/index.ts';
import { PUBLIC_CACHE_CONTROL } from '../cache.ts';
import type { AppDeps } from '../context.ts';
import { errorResponse } from '../errors.ts';
import {
  FEED_CONTENT_TYPES,
  feedDocumentFor,
  incidentFeedEntries,
  maintenanceFeedEntries,
  renderFeed,
  reportFeedEntries,
  type FeedFormat,
} from '../render/feeds.ts';
import { serveCached } from '../http.ts';

const formats: FeedFormat[] = ['rss', 'atom', 'json'];

/**
 * Public feeds: `/feed.rss|atom|json` for the whole page, `/componentes/:slug/feed.*` for a
 * component or an area group (`:slug` is a slug or an id), and Statuspage's `/history.rss|atom`.
 * Rendered once per write and kept with ETag and Last-Modified like the pages.
 */
export function feedRoutes(deps: AppDeps) {
  const app = new Hono();

  const serveFeed = (c: Context, key: string, format: FeedFormat, scopeOf: () => FeedScope | null, ref = '') =>
    serveCached(
      c,
      deps,
      key,
      (): { body: string; status?: number; lastModified?: Date; headers: Record<string, string> } => {
        const scope = scopeOf();
        if (!scope) {
          return {
            status: 404,
            body: JSON.stringify({ error: { code: 'not_found', message: unknownRefMessage(ref, 'any') } }),
            headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
          };
        }
        const snapshot = feedSnapshot(deps.db, scope);
        const doc = feedDocumentFor(scope, deps.config.publicUrl);
        const entries = [
          ...incidentFeedEntries(snapshot.incidents, deps.config.publicUrl),
          ...reportFeedEntries(snapshot.incidents, snapshot.reports, deps.config.publicUrl),
          ...maintenanceFeedEntries(snapshot.maintenances, deps.config.publicUrl),
        ];
        const body = renderFeed({ ...doc, updated: snapshot.lastModified, entries }, format);
        return {
          body,
          lastModified: snapshot.lastModified,
          headers: {
            'content-type': FEED_CONTENT_TYPES[format],
            'cache-control': PUBLIC_CACHE_CONTROL,
            'x-content-type-options': 'nosniff',
            'access-control-allow-origin': '*',
            'access-control-expose-headers': 'ETag, Last-Modified',
          },
        };
      },
    );

  for (const format of formats) {
    app.get(`/feed.${format}`, (c) => serveFeed(c, `/feed.${format}`, format, () => ({ kind: 'page' })));
    app.get(`/componentes/:slug/feed.${format}`, (c) => {
      const ref = c.req.param('slug');
      if (!/^[a-z0-9-]{1,60}$/.test(ref)) return errorResponse(c, 404, 'not_found', unknownRefMessage(ref, 'any'));
      return serveFeed(
        c,
        `/componentes/${ref}/feed.${format}`,
        format,
        () => feedScopeFor(componentCatalogue(deps.db), ref),
        ref,
      );
    });
  }
  // Statuspage's paths, so readers subscribed to a Statuspage page keep working after a move.
  // The same bytes as /feed.rss and /feed.atom: kept once, under their key.
  app.get('/history.rss', (c) => serveFeed(c, '/feed.rss', 'rss', () => ({ kind: 'page' })));
  app.get('/history.atom', (c) => serveFeed(c, '/feed.atom', 'atom', () => ({ kind: 'page' })));
  return app;
}
