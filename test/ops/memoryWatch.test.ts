// The server's memory watch (api/memory.ts, started by api/main.ts): after a burst of work V8
// keeps the pages its collections emptied, and RSS stays up; once it has grown 16 MB the watch
// gives them back with one last-resort GC and says so. A real Node process with npm start's
// young generation, with and without --expose-gc (the flag npm start and the unit pass).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';

const script = join(mkdtempSync(join(tmpdir(), 'somnet-memory-watch-')), 'burst.mjs');
writeFileSync(
  script,
  `const { MemoryWatch } = await import(${JSON.stringify(join(projectRoot, 'api', 'memory.ts'))});
const lines = [];
// As in the server: the event loop is running (before it starts, its utilisation reads 0).
await new Promise((r) => setTimeout(r, 50));
const watch = new MemoryWatch((line) => lines.push(line));
const quiet = watch.check();
// A burst: objects that live long enough to reach the old generation, then die.
let keep = [];
for (let round = 0; round < 6; round++) {
  keep = [];
  for (let i = 0; i < 300_000; i++) keep.push({ n: i, s: 'entrada ' + i });
}
keep = null;
// Right after the burst the event loop was busy since the last look: a minute may pass first.
const busy = watch.check();
// A second without work (the burst is over): the next look returns the memory.
await new Promise((r) => setTimeout(r, 1000));
const due = watch.check();
const again = watch.check();
console.log(JSON.stringify({ quiet: quiet ?? null, busy: busy ?? null, due: due ?? null, again: again ?? null, lines }));
`,
);
const run = (flags: string[]) =>
  JSON.parse(execFileSync(process.execPath, [...flags, script], { encoding: 'utf8' })) as {
    quiet: null | object;
    busy: null | object;
    due: null | { beforeMb: number; afterMb: number; ms: number };
    again: null | object;
    lines: string[];
  };

describe('the memory watch', () => {
  it('gives back what a burst left once RSS has grown and the burst is over, once, and says so', () => {
    const { quiet, busy, due, again, lines } = run(['--expose-gc', '--max-semi-space-size=8']);
    expect(quiet).toBeNull();
    expect(busy).toBeNull();
    expect(due).not.toBeNull();
    expect(due!.beforeMb - due!.afterMb).toBeGreaterThan(16);
    // What the process keeps after the GC is the new mark: no second GC right after.
    expect(again).toBeNull();
    expect(lines).toEqual([expect.stringMatching(/^Memoria: devuelta .*\(RSS \d+ → \d+ MB, GC de \d+ ms\)\.$/)]);
  });

  it('does nothing without --expose-gc', () => {
    const { due, lines } = run(['--max-semi-space-size=8']);
    expect(due).toBeNull();
    expect(lines).toEqual([]);
  });
});

// The main malloc heap after a full publish: tens of thousands of Buffers from the render workers,
// freed by a GC between small allocations that live on, leave free pages in the middle of the
// `[heap]` mapping that free() never returns (only its top). A real process with npm start's
// MALLOC_ARENA_MAX: Buffers of 40 KB (malloc'd, below glibc's mmap threshold) between small kept
// ones, then a regular GC frees the big ones.
const fragmenting = join(mkdtempSync(join(tmpdir(), 'somnet-memory-trim-')), 'fragment.mjs');
writeFileSync(
  fragmenting,
  `import { readFileSync } from 'node:fs';
const { releaseMemory } = await import(${JSON.stringify(join(projectRoot, 'api', 'memory.ts'))});
const heapMb = () => {
  const smaps = readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf('[heap]');
  return Number(/Rss:\\s+(\\d+) kB/.exec(smaps.slice(at))[1]) / 1024;
};
const kept = [];
let pages = [];
for (let i = 0; i < 2_000; i++) {
  pages.push(Buffer.allocUnsafeSlow(40_000).fill(i % 251));
  if (i % 20 === 0) kept.push(Buffer.allocUnsafeSlow(200).fill(1));
}
pages = null;
globalThis.gc();
const freed = heapMb();
const ms = releaseMemory();
const released = heapMb();
console.log(JSON.stringify({ freed, released, ms, kept: kept.length }));
`,
);

describe('giving back memory', () => {
  it("returns the free pages inside malloc's heap, not only V8's", () => {
    const out = JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', fragmenting], {
        encoding: 'utf8',
        env: { ...process.env, MALLOC_ARENA_MAX: '2' },
      }),
    ) as { freed: number; released: number; ms: number };
    // 80 MB of Buffers were freed by the GC and stayed resident in the heap; the release returns them.
    expect(out.freed, JSON.stringify(out)).toBeGreaterThan(60);
    expect(out.freed - out.released, JSON.stringify(out)).toBeGreaterThan(50);
    expect(out.ms).toBeGreaterThan(0);
  });
});

// SQLite's page cache: 16 MB per connection (better-sqlite3's default cache_size) once something
// has read the whole file, as the start-up quick_check and a full publish do. A real database
// file of 40 MB read through openDatabase's connection.
const reading = join(mkdtempSync(join(tmpdir(), 'somnet-memory-sqlite-')), 'read.mjs');
writeFileSync(
  reading,
  `import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const { releaseMemory } = await import(${JSON.stringify(join(projectRoot, 'api', 'memory.ts'))});
const { openDatabase } = await import(${JSON.stringify(join(projectRoot, 'db', 'client.ts'))});
const heapMb = () => {
  const smaps = readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf('[heap]');
  return Number(/Rss:\\s+(\\d+) kB/.exec(smaps.slice(at))[1]) / 1024;
};
const db = openDatabase(join(process.argv[2], 'somnet.db'), { migrate: false });
db.$client.exec('CREATE TABLE pages (body BLOB)');
const insert = db.$client.prepare('INSERT INTO pages VALUES (randomblob(4000))');
db.$client.transaction(() => { for (let i = 0; i < 10_000; i++) insert.run(); })();
db.$client.prepare('SELECT sum(length(body)) FROM pages').get();
releaseMemory();
const cached = heapMb();
releaseMemory(db);
const shrunk = heapMb();
db.$client.prepare('SELECT count(*) FROM pages').get();
console.log(JSON.stringify({ cached, shrunk }));
db.$client.close();
`,
);

describe("the database connection's memory", () => {
  it('empties the page cache of the connection it is given, and the pages go back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'somnet-memory-db-'));
    const out = JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', reading, dir], {
        encoding: 'utf8',
        env: { ...process.env, MALLOC_ARENA_MAX: '2' },
      }),
    ) as { cached: number; shrunk: number };
    // What a release without the connection leaves: the 16 MB page cache, full.
    expect(out.cached, JSON.stringify(out)).toBeGreaterThan(16);
    expect(out.cached - out.shrunk, JSON.stringify(out)).toBeGreaterThan(12);
  });
});
