// The one data-version watcher per connection: this process's commits at once, another process's
// writes when someone looks (or on the timer a subscriber asks for), everyone told whoever looked.
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '#db/client.ts';
import { updateComponent } from '#db/commands/catalog.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { dataWatcher } from '#db/dataWatcher.ts';
import { makeEntry, RenderedCache } from '../../api/cache.ts';
import { freshDb } from '../support/db.ts';

const actor = { kind: 'cli' as const, name: 'pruebas' };
const html = { 'content-type': 'text/html; charset=utf-8' };

/** A write by another process: its own connection to the same file. */
function writeElsewhere(path: string): void {
  const other = openDatabase(path);
  updateComponent(other, 'lerma-fibra', { status: 'partial_outage' }, { now: new Date(), actor });
  other.$client.close();
}

describe('dataWatcher', () => {
  it('is one per connection', () => {
    const db = freshDb();
    expect(dataWatcher(db)).toBe(dataWatcher(db));
    expect(dataWatcher(freshDb())).not.toBe(dataWatcher(db));
  });

  it('tells its subscribers of a public commit in this process at once, and not of a private one', () => {
    const db = freshDb();
    let heard = 0;
    const off = dataWatcher(db).subscribe(() => heard++);
    createApiToken(db, 'privado', new Date());
    expect(heard).toBe(0);
    updateComponent(db, 'toluca-fibra', { status: 'degraded_performance' }, { now: new Date(), actor });
    expect(heard).toBe(1);
    off();
    updateComponent(db, 'toluca-fibra', { status: 'operational' }, { now: new Date(), actor });
    expect(heard).toBe(1);
  });

  it("sees another process's write when asked to look, once, and tells every subscriber (the page cache too)", () => {
    const db = freshDb();
    const cache = new RenderedCache(db, { externalCheckMs: 60_000 });
    cache.set('/', cache.currentGeneration, makeEntry(200, 'estado', html));
    let heard = 0;
    const off = dataWatcher(db).subscribe(() => heard++);
    expect(dataWatcher(db).look()).toBe(false);
    writeElsewhere(db.$client.name);
    expect(dataWatcher(db).look()).toBe(true);
    expect(heard).toBe(1);
    // The cache had looked less than a minute ago; the watcher told it anyway.
    expect(cache.get('/')).toBeUndefined();
    expect(dataWatcher(db).look()).toBe(false);
    expect(heard).toBe(1);
    off();
  });

  it('looks on a timer while a subscriber asks for one, and stops when it leaves', async () => {
    const db = freshDb();
    let heard = 0;
    const off = dataWatcher(db).subscribe(() => heard++, { pollMs: 20 });
    writeElsewhere(db.$client.name);
    await vi.waitFor(() => expect(heard).toBe(1), { timeout: 2000, interval: 10 });
    off();
    let late = 0;
    dataWatcher(db).subscribe(() => late++); // no timer asked for
    writeElsewhere(db.$client.name);
    await new Promise((r) => setTimeout(r, 100));
    expect(late).toBe(0);
    expect(heard).toBe(1);
  });
});
