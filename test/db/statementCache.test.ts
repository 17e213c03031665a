// Compiled statements kept per connection (db/statementCache.ts): a write through the real
// API compiles its statements once, the cache stays within its bound, and a kept statement still
// answers in the mode each caller asks for.
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATEMENT_CACHE, statementCacheOf } from '#db/statementCache.ts';
import { freshDb, testApp } from '../support/db.ts';

describe('statements kept per connection', () => {
  it('a write through the API compiles its statements once: an update after the first few compiles at most one', async () => {
    const { db, json } = testApp();
    const cache = statementCacheOf(db)!;
    const created = await json('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Metepec',
      status: 'investigating',
      body: 'Revisando.',
      components: { 'metepec-fibra': 'partial_outage' },
      deliver_notifications: false,
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const post = (i: number) =>
      json('POST', `/api/v1/incidents/${id}/updates`, {
        status: 'identified',
        body: `Actualización ${i}`,
        deliver_notifications: false,
      });
    // The first updates compile what they need (an `IN (?, …)` list grows with the updates: one text per length).
    for (let i = 0; i < 3; i++) expect((await post(i)).status).toBe(201);
    const compiled = cache.compiled;
    const reused = cache.reused;
    expect((await post(3)).status).toBe(201);
    // At most the one statement whose text depends on how many updates there are.
    expect(cache.compiled - compiled).toBeLessThanOrEqual(1);
    expect(cache.reused - reused).toBeGreaterThan(5);
    const page = await json('GET', `/api/v1/incidents/${id}`);
    expect(((await page.json()) as { incident_updates: unknown[] }).incident_updates).toHaveLength(5);
  });

  it('keeps at most DEFAULT_STATEMENT_CACHE statements, the most recently used', () => {
    const db = freshDb({ seed: false });
    const cache = statementCacheOf(db)!;
    for (let i = 0; i < DEFAULT_STATEMENT_CACHE + 50; i++)
      expect(db.get<{ n: number }>(sql.raw(`SELECT ${i} AS n`))).toEqual({ n: i });
    expect(cache.size).toBe(DEFAULT_STATEMENT_CACHE);
    // The newest are kept (reused), the first ones were evicted (compiled again).
    const compiled = cache.compiled;
    expect(db.get(sql.raw(`SELECT ${DEFAULT_STATEMENT_CACHE + 49} AS n`))).toEqual({
      n: DEFAULT_STATEMENT_CACHE + 49,
    });
    expect(cache.compiled).toBe(compiled);
    expect(db.get(sql.raw('SELECT 0 AS n'))).toEqual({ n: 0 });
    expect(cache.compiled).toBe(compiled + 1);
    expect(cache.size).toBe(DEFAULT_STATEMENT_CACHE);
  });

  it('a kept statement answers objects or arrays as each caller asks, and a busy one is not shared', () => {
    const db = freshDb({ seed: false });
    const query = sql`SELECT 1 AS a, 2 AS b`;
    expect(db.all(query)).toEqual([{ a: 1, b: 2 }]);
    expect(db.values(query)).toEqual([[1, 2]]);
    // values() left the statement in raw mode: the next caller of objects still gets objects.
    expect(db.all(query)).toEqual([{ a: 1, b: 2 }]);
    expect(db.get(query)).toEqual({ a: 1, b: 2 });

    // While a statement iterates, the same text asked again gets a statement of its own.
    const text = 'SELECT value FROM json_each(json_array(1, 2, 3))';
    const cache = statementCacheOf(db)!;
    const seen: number[] = [];
    for (const row of cache.statement(text, 'objects').iterate() as Iterable<{ value: number }>)
      seen.push(row.value, db.all<{ value: number }>(sql.raw(text)).length);
    expect(seen).toEqual([1, 3, 2, 3, 3, 3]);
  });
});
