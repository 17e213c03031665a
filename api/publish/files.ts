// The snapshot on disk: one file per public URL, with its .gz and .br beside it, each replaced
// atomically so that a reader (nginx, a sync to a CDN) sees the old bytes or the new ones, never
// half a file.
import {
  closeSync,
  existsSync,
  chmodSync,
  fchmodSync,
  futimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { appendFile, chmod, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip, gzipSync } from 'node:zlib';
import { compressEntry, MIN_COMPRESSIBLE_BYTES, type CachedEntry } from '../cache.ts';

/** Written beside the files: which URL paths this snapshot holds, and the ETag of each. */
export const MANIFEST = '.somnet-snapshot.json';

/**
 * What changed since the manifest was last written whole: one line per publish (the paths it
 * wrote or removed, and the origin after it), appended instead of writing the 65,000 paths of ten
 * years again (~75 ms of the event loop and 4 MB) after each update. Its first line names the
 * manifest it follows (`{"manifest": id}`): a journal left beside a newer manifest is ignored. A
 * full publish, or a journal past JOURNAL_MAX_BYTES, writes the manifest whole and starts over.
 */
export const MANIFEST_JOURNAL = '.somnet-snapshot.journal';

/** The journal's size past which the next publish writes the manifest whole (~200 updates). */
const JOURNAL_MAX_BYTES = 1_000_000;

/** `/` → index.html, `/historial` → historial/index.html, `/feed.rss` → feed.rss. */
export function fileFor(path: string): string {
  if (path === '/') return 'index.html';
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last.includes('.') ? path.slice(1) : `${path.slice(1)}/index.html`;
}

export class SnapshotDirError extends Error {}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
/**
 * How a file is compressed on disk. `hot`: what readers fetch all the time (`/`, the feeds, an
 * open incident, this month): the plain file, gzip 9 and brotli 5, the smallest transfer.
 * `history`: the bulk of a full publish (every resolved incident, every past month), read seldom:
 * gzip at HISTORY_GZIP_LEVEL only (brotli 5 would save another 5 % of a file hardly ever read,
 * for 2.5 ms and one more file on disk per page). A history *page* (`…/index.html`) is stored as
 * its `.gz` alone, a fifth of the plain file's size: nginx sends it as it is to clients that take
 * gzip and decompresses it (`gunzip on`) for the rare one that does not (deploy/nginx.conf,
 * `@history`). nginx sends the .gz to a client that takes brotli when there is no .br.
 */
export type Compression = 'hot' | 'history';

/**
 * gzip level of history files. Measured on 1,500 incident pages of the 20,000-incident database
 * (34.3 MB plain), CPU time and bytes against level 6: level 4 costs 70 % of its CPU for 3.1 %
 * more bytes (29.35 % of the plain size against 28.47 %); level 3 60 % for +8.3 %; level 1 53 %
 * for +13.6 %. zlib's levels 4–9 search the same lazy matches, 4 with the shortest chains: the
 * knee of the curve. The ten-year snapshot grows ~4 MB (of ~300).
 */
export const HISTORY_GZIP_LEVEL = 4;

/**
 * A history page a render worker stored as its .gz alone: its plain body, never written, stays in
 * the worker (api/publish/renderWorker.ts) and only its length comes back.
 */
export interface GzipOnlyEntry extends CachedEntry {
  historyGzip: Buffer;
  bodyLength: number;
}

/** A history page's gzip (HISTORY_GZIP_LEVEL), unless the entry already carries one made for it. */
function historyGzip(entry: CachedEntry): Buffer {
  return (
    (entry as CachedEntry & { historyGzip?: Buffer }).historyGzip ?? gzipSync(entry.body, { level: HISTORY_GZIP_LEVEL })
  );
}

/** The plain body's length (also of a GzipOnlyEntry, which does not carry the body). */
function bodyLength(entry: CachedEntry): number {
  return (entry as Partial<GzipOnlyEntry>).bodyLength ?? entry.body.length;
}

/** Compresses a body as a history file (what a render worker does before handing it over). */
export function gzipHistory(body: Buffer): Buffer {
  return gzipSync(body, { level: HISTORY_GZIP_LEVEL });
}

const gzipAsync = promisify(gzip);

/** Paths of the manifest serialised between two turns of the event loop (a few ms). */
const MANIFEST_SLICE = 5_000;

/** The manifest of a directory claimed before its first publish: no files, made from nothing known. */
const EMPTY_MANIFEST = '{"version":1,"origin":{},"files":{}}';
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * An entry with the compressed forms `SnapshotDir.write` will store already made, in libuv's
 * thread pool instead of on the event loop (the server keeps answering requests meanwhile): gzip
 * 9 and brotli 5 of a hot file (kept in the entry, so the page cache has them too), gzip at
 * HISTORY_GZIP_LEVEL of a history file.
 */
export async function compressedForSnapshot(entry: CachedEntry, compression: Compression): Promise<CachedEntry> {
  if (entry.body.length < MIN_COMPRESSIBLE_BYTES) return entry;
  if (compression === 'hot') {
    await compressEntry(entry);
    return entry;
  }
  if ((entry as CachedEntry & { historyGzip?: Buffer }).historyGzip) return entry;
  // Not spread: `gzip` and `br` of a cached entry are getters that would compress on the loop.
  const historyGzip = await gzipAsync(entry.body, { level: HISTORY_GZIP_LEVEL });
  return {
    status: entry.status,
    body: entry.body,
    gzip: historyGzip,
    br: null,
    etag: entry.etag,
    createdAt: entry.createdAt,
    headers: entry.headers,
    historyGzip,
  } as CachedEntry;
}

/**
 * Whether a file is stored as its `.gz` alone: a history page (`…/index.html`, served by nginx's
 * `@history` location) of at least MIN_COMPRESSIBLE_BYTES. Other history files (a past month's
 * CSV, a finished window's .ics) are few and keep their plain file.
 */
export function gzipOnlyFile(name: string, compressible: boolean, compression: Compression): boolean {
  return compression === 'history' && compressible && name.endsWith('index.html');
}

let tempCounter = 0;

/** The snapshot is nginx's to read: files 0644, directories 0755, whatever the umask. */
const PUBLIC_FILE_MODE = 0o644;
const PUBLIC_DIR_MODE = 0o755;

/** Creates `dir` (and its missing parents up to an existing one) readable by nginx. */
function mkdirPublic(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: PUBLIC_DIR_MODE });
  if (first === undefined) return;
  // chmod each directory made, from the first one created down to `dir` (the umask trimmed them).
  for (let d = dir; ; d = dirname(d)) {
    chmodSync(d, PUBLIC_DIR_MODE);
    if (d === first || dirname(d) === d) break;
  }
}

/**
 * Writes `bytes` to `name` (a file of a directory that exists) with the given modification time,
 * readable by nginx whatever the service's umask (0077 keeps the database private): one open,
 * write, fchmod, futimes and close, no lookup of the path but the open's.
 */
function writeFileAt(name: string, bytes: Buffer, mtimeSeconds: number): void {
  const fd = openSync(name, 'w', PUBLIC_FILE_MODE);
  try {
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
    fchmodSync(fd, PUBLIC_FILE_MODE);
    futimesSync(fd, mtimeSeconds, mtimeSeconds);
  } finally {
    closeSync(fd);
  }
}

/** Whether a failed call failed because the directory is not there (yet, or any more). */
const missingDirectory = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Writes `bytes` to `file` with the given modification time (nginx derives Last-Modified and its
 * ETag, mtime and size, from it). `atomic`: through a temporary file in the same directory and a
 * rename(2), so a reader sees the old bytes or the new ones; without it (a file nobody can be
 * reading: a new file of an export into an empty directory) straight to its name. The directory
 * is created (readable by nginx) only when the first attempt finds it missing: no mkdir per file.
 */
function writeAtomically(file: string, bytes: Buffer, mtimeSeconds: number, atomic = true): void {
  const temp = atomic ? join(dirname(file), `.tmp-${process.pid}-${++tempCounter}`) : file;
  try {
    try {
      writeFileAt(temp, bytes, mtimeSeconds);
    } catch (err) {
      if (!missingDirectory(err)) throw err;
      mkdirPublic(dirname(file));
      writeFileAt(temp, bytes, mtimeSeconds);
    }
    if (atomic) renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * Writes a file that is not there yet into a directory nobody else writes to or reads from
 * meanwhile (an export into an empty directory: SnapshotDir.writesInPlace), straight to its name
 * (its directory made if missing; SnapshotDir.makeDirectoryFor makes it beforehand). A render
 * worker of `npm run export` writes what it renders this way itself (api/publish/renderWorker.ts),
 * so the bytes do not travel to the parent process to be written.
 */
export function writeNewFile(root: string, name: string, bytes: Buffer, mtimeSeconds: number): void {
  writeAtomically(join(root, name), bytes, mtimeSeconds, false);
}

/**
 * writeAtomically in the thread pool: the manifest of ten years (4 MB) took the event loop
 * 20–100 ms to write on a loaded machine, after every publish.
 */
async function writeAtomicallyInBackground(file: string, bytes: Buffer, mtimeSeconds: number): Promise<void> {
  const temp = join(dirname(file), `.tmp-${process.pid}-${++tempCounter}`);
  try {
    await writeFile(temp, bytes);
    await chmod(temp, PUBLIC_FILE_MODE);
    await utimes(temp, mtimeSeconds, mtimeSeconds);
    await rename(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** What the files were made from besides the data, and how far into the change log they are current. */
export interface SnapshotOrigin {
  /** The build folder that rendered them (pages change with the code). */
  build?: string;
  publicUrl?: string;
  /** Every change up to here is in the files (db/queries/published.ts, changeCursor). */
  cursor?: { audit: number; statusEvents: number; quality?: number };
}

/** The published files of one directory, and what was last written to each. */
export class SnapshotDir {
  readonly dir: string;
  /** URL path → ETag of the bytes on disk. */
  private published = new Map<string, string>();
  /** As recorded by the last publish into this directory. */
  origin: SnapshotOrigin = {};
  /**
   * The manifest on disk, as its journal names it: a count of the manifests written whole (none:
   * the next save writes it whole).
   */
  private manifestId: number | undefined;
  /** Paths written (their ETag) or removed (null) since the last save, for the journal. */
  private readonly unsaved = new Map<string, string | null>();
  /** Bytes of the journal on disk. */
  private journalBytes = 0;
  /**
   * The files in the directory, when this object alone writes to it and it started empty (an
   * export into a new directory): which files exist is known without asking the file system, and
   * a new file is written straight to its name (nobody reads it before the export ends).
   * Otherwise undefined: a server's directory is read by nginx and may have been written by
   * another server of the same database before this one took over the publishing.
   */
  private readonly files: Set<string> | undefined;

  /**
   * Opens (creating it if missing) a directory for the snapshot. A directory that is neither
   * empty nor a snapshot is refused, so a typo cannot make the server delete someone's files.
   * `exclusive`: no other process writes to it meanwhile (`npm run export`).
   */
  constructor(dir: string, options: { exclusive?: boolean } = {}) {
    this.dir = dir;
    mkdirPublic(dir);
    const manifest = join(dir, MANIFEST);
    if (existsSync(manifest)) {
      const saved = JSON.parse(readFileSync(manifest, 'utf8')) as {
        files?: Record<string, string>;
        origin?: SnapshotOrigin;
        journal?: number;
      };
      for (const [path, etag] of Object.entries(saved.files ?? {})) this.published.set(path, etag);
      this.origin = saved.origin ?? {};
      this.manifestId = saved.journal;
      this.readJournal();
    } else if (readdirSync(dir).some((name) => !name.startsWith('.tmp-'))) {
      throw new SnapshotDirError(
        `${dir} no está vacío y no contiene una publicación anterior (${MANIFEST}); indique un directorio vacío o nuevo.`,
      );
    }
    // Empty: nothing, or nothing but a manifest of no files (an empty directory claimed by a
    // first open, as `npm run export`'s own check of its argument does).
    this.files =
      options.exclusive && this.published.size === 0 && readdirSync(dir).every((name) => name === MANIFEST)
        ? new Set()
        : undefined;
    // A server claims an empty directory at once with an empty manifest: another server of the
    // same database that opens it while this one's first publish is still writing (both started
    // together, as after a fresh deploy) finds a snapshot, not a stranger's files to refuse.
    if (!this.files && !existsSync(manifest)) writeAtomically(manifest, Buffer.from(EMPTY_MANIFEST), nowSeconds());
  }

  /** Whether new files are written straight to their names (an exclusive directory that started empty). */
  get writesInPlace(): boolean {
    return this.files !== undefined;
  }

  /** Whether the file (relative to the directory) is there. */
  private exists(name: string): boolean {
    return this.files ? this.files.has(name) : existsSync(join(this.dir, name));
  }

  /** Directories of an exclusive snapshot known to exist (made by it): a new one is made before its first file, not after a failed open. */
  private readonly dirs = new Set<string>();

  /**
   * Makes the directory of a file of an exclusive snapshot, unless this object already made it.
   * For a file a render worker writes (writeNewFile): the directories are made here, one process,
   * since two making directories side by side in the same parent (`incidentes/`) wait on its lock
   * (measured at 20,000 incidents: 11 s of mkdir in two workers against 2.7 s in one process).
   */
  makeDirectoryFor(name: string): void {
    if (!this.files) return;
    const dir = dirname(join(this.dir, name));
    if (!this.dirs.has(dir)) {
      mkdirPublic(dir);
      this.dirs.add(dir);
    }
  }

  private writeFile(name: string, bytes: Buffer, mtimeSeconds: number): void {
    // A file of an exclusive directory that is not there yet: nobody can be reading it.
    const atomic = !this.files || this.files.has(name);
    this.makeDirectoryFor(name);
    writeAtomically(join(this.dir, name), bytes, mtimeSeconds, atomic);
    this.files?.add(name);
  }

  /**
   * Records a path whose files a render worker wrote itself into this exclusive directory
   * (writeNewFile; the path was not published here before): `names`, relative to the directory,
   * are the files it wrote, as `write` would have for a new path.
   */
  recordWritten(path: string, etag: string, names: string[]): void {
    if (!this.files || this.published.has(path))
      throw new Error(`${path}: escrito por otro proceso fuera de una exportación`);
    for (const name of names) {
      this.files.add(name);
      this.noteChanged(name);
    }
    this.published.set(path, etag);
    this.unsaved.set(path, etag);
  }

  private removeFile(name: string): void {
    rmSync(join(this.dir, name), { force: true });
    this.files?.delete(name);
  }

  get paths(): string[] {
    return [...this.published.keys()];
  }

  has(path: string): boolean {
    return this.published.has(path);
  }

  /** Files (relative to the directory) written or removed since the last `takeChanges()`. */
  private changedFiles = new Set<string>();
  private removedFiles = new Set<string>();

  /**
   * Writes one URL's bytes and compressed forms; false when the file already holds them. nginx's
   * ETag is the file's mtime in seconds and its size: a file replaced within the second of its
   * previous version gets that mtime plus one second (it may run a few seconds ahead in a burst),
   * so two versions never share an ETag and publishes never wait for the clock.
   */
  write(path: string, entry: CachedEntry, nowSeconds: number, compression: Compression = 'hot'): boolean {
    const name = fileFor(path);
    const compressible = bodyLength(entry) >= MIN_COMPRESSIBLE_BYTES;
    const hot = compression === 'hot';
    const gzipOnly = gzipOnlyFile(name, compressible, compression);
    if (!gzipOnly && entry.body.length !== bodyLength(entry))
      throw new Error(`${path}: sin el cuerpo que se escribe (solo su .gz)`);
    // The file a reader gets: the plain one, or the .gz alone of a history page.
    const served = gzipOnly ? name + '.gz' : name;
    const exists = this.exists(served);
    if (this.published.get(path) === entry.etag && exists) return false;
    const previous = exists ? served : this.exists(name) ? name : this.exists(name + '.gz') ? name + '.gz' : undefined;
    const mtimeSeconds = previous
      ? Math.max(nowSeconds, Math.floor(statSync(join(this.dir, previous)).mtimeMs / 1000) + 1)
      : nowSeconds;
    // Compressed forms first: a reader that takes the .gz (gzip_static) never gets bytes
    // older than the plain file it would have got.
    for (const [suffix, bytes] of [
      ['.gz', !compressible ? null : hot ? entry.gzip : historyGzip(entry)],
      ['.br', compressible && hot ? entry.br : null],
    ] as const) {
      if (bytes) {
        this.writeFile(name + suffix, bytes, mtimeSeconds);
        this.noteChanged(name + suffix);
      } else if (this.exists(name + suffix)) {
        this.removeFile(name + suffix);
        this.noteRemoved(name + suffix);
      }
    }
    if (gzipOnly) {
      // Its .gz is in place: the plain file of an earlier (hot) version goes.
      if (this.exists(name)) {
        this.removeFile(name);
        this.noteRemoved(name);
      }
    } else {
      this.writeFile(name, entry.body, mtimeSeconds);
      this.noteChanged(name);
    }
    this.published.set(path, entry.etag);
    this.unsaved.set(path, entry.etag);
    return true;
  }

  /** The ETag of `path`'s bytes on disk (of its plain form), when its file is there. */
  etagOnDisk(path: string): string | undefined {
    const etag = this.published.get(path);
    if (etag === undefined) return undefined;
    const name = fileFor(path);
    return this.exists(name) || this.exists(name + '.gz') ? etag : undefined;
  }

  private noteChanged(name: string): void {
    this.removedFiles.delete(name);
    this.changedFiles.add(name);
  }

  private noteRemoved(name: string): void {
    this.changedFiles.delete(name);
    this.removedFiles.add(name);
  }

  /** What changed since the last call (PUBLISH_COMMAND's lists), emptied. */
  takeChanges(): { changed: string[]; removed: string[] } {
    const out = { changed: [...this.changedFiles].sort(), removed: [...this.removedFiles].sort() };
    this.changedFiles.clear();
    this.removedFiles.clear();
    return out;
  }

  /** Removes a URL's files (it no longer exists, or no longer answers 200). */
  remove(path: string): void {
    const name = fileFor(path);
    const file = join(this.dir, name);
    for (const suffix of ['', '.gz', '.br']) {
      if (!this.exists(name + suffix)) continue;
      this.removeFile(name + suffix);
      this.noteRemoved(name + suffix);
    }
    this.published.delete(path);
    this.unsaved.set(path, null);
    // Leave no empty directories behind (nginx would answer them with 403 or a listing).
    for (let d = dirname(file); d.startsWith(this.dir) && d !== this.dir; d = dirname(d)) {
      try {
        if (readdirSync(d).length > 0) break;
        rmdirSync(d);
        this.dirs.delete(d);
      } catch {
        break;
      }
    }
  }

  /**
   * The journal's lines after the manifest's, applied in order; it stops at a line cut short (a
   * process killed while appending): the publishes after it are found again by the change cursor
   * of the last line read, as after any restart.
   */
  private readJournal(): void {
    const file = join(this.dir, MANIFEST_JOURNAL);
    if (!this.manifestId || !existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    // Every whole line ends with a newline: anything after the last one was cut short.
    let cutShort = lines.pop() !== '';
    try {
      if ((JSON.parse(lines[0]) as { manifest?: number }).manifest !== this.manifestId) return;
    } catch {
      return;
    }
    for (const line of lines.slice(1)) {
      let entry: { origin: SnapshotOrigin; files: Record<string, string | null> };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        cutShort = true;
        break;
      }
      for (const [path, etag] of Object.entries(entry.files)) {
        if (etag === null) this.published.delete(path);
        else this.published.set(path, etag);
      }
      this.origin = entry.origin;
    }
    // Cut short: the next save writes the manifest whole rather than a line after the broken one.
    this.journalBytes = cutShort ? JOURNAL_MAX_BYTES : text.length;
  }

  /**
   * Records which paths the directory holds and what they are made from (atomically, like every
   * file). After an incremental publish, one line appended to the journal (MANIFEST_JOURNAL) with
   * the paths it changed; with `whole` (a full publish), before the first journal line, or once
   * the journal is past JOURNAL_MAX_BYTES, the manifest itself: ten years of history are 65,000
   * paths, ~75 ms to serialise in one go, so it is made in slices of MANIFEST_SLICE paths with a
   * turn of the event loop between (requests first), from a copy taken at the call.
   */
  async saveManifest(origin: SnapshotOrigin, options: { whole?: boolean } = {}): Promise<void> {
    if (!options.whole && this.manifestId && this.journalBytes < JOURNAL_MAX_BYTES) {
      const files = Object.fromEntries(this.unsaved);
      this.unsaved.clear();
      const journal = join(this.dir, MANIFEST_JOURNAL);
      const line = `${JSON.stringify({ origin, files })}\n`;
      // A new journal replaces whatever an older manifest's left (a process stopped before removing it).
      if (this.journalBytes === 0) {
        const head = `${JSON.stringify({ manifest: this.manifestId })}\n`;
        this.journalBytes = head.length + line.length;
        await writeFile(journal, head + line, { mode: PUBLIC_FILE_MODE });
      } else {
        this.journalBytes += line.length;
        await appendFile(journal, line, { mode: PUBLIC_FILE_MODE });
      }
      return;
    }
    this.unsaved.clear();
    const id = (this.manifestId ?? 0) + 1;
    const paths = [...this.published];
    const parts: string[] = [];
    for (let from = 0; from < paths.length; from += MANIFEST_SLICE) {
      if (from > 0) await nextTurn();
      parts.push(
        paths
          .slice(from, from + MANIFEST_SLICE)
          .map(([path, etag]) => `${JSON.stringify(path)}:${JSON.stringify(etag)}`)
          .join(','),
      );
    }
    const json = `{"version":1,"journal":${id},"origin":${JSON.stringify(origin)},"files":{${parts.join(',')}}}`;
    await writeAtomicallyInBackground(join(this.dir, MANIFEST), Buffer.from(json), nowSeconds());
    // The old journal follows the old manifest: once the new one is in place it is ignored, then removed.
    this.manifestId = id;
    this.journalBytes = 0;
    await rm(join(this.dir, MANIFEST_JOURNAL), { force: true });
  }

  /**
   * Leftover temporary files of a process that died mid-write. Those of a live process (another
   * server on the same directory, writing right now) are left alone: its rename would fail.
   */
  removeTemporaryFiles(): void {
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        if (name.startsWith('.tmp-')) {
          const pid = Number(/^\.tmp-(\d+)-/.exec(name)?.[1]);
          if (!(pid > 0 && pid !== process.pid && processExists(pid))) rmSync(full, { force: true });
        } else if (statSync(full).isDirectory()) walk(full);
      }
    };
    walk(this.dir);
  }
}
