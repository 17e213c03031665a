// Real server processes (`node api/start.ts`) on a test database, as production runs them: two on
// one database, one killed with SIGKILL half-way through its work, and the database read from
// outside while they run.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { projectRoot } from '../../api/paths.ts';
import { freePort, portTaken } from './ports.ts';
export { freePort };

export interface ServerProcess {
  proc: ChildProcess;
  base: string;
  output: () => string;
  exited: Promise<void>;
}

/**
 * Starts `node api/start.ts` on `dbPath` and resolves once it listens; on another port when the
 * one it was given was taken before it could bind it (test/support/ports.ts).
 */
export async function startServerProcess(dbPath: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = spawn(process.execPath, [join(projectRoot, 'api', 'start.ts')], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: dbPath, ...env },
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const child = { proc, base: `http://127.0.0.1:${port}`, output: () => out, exited };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (/escuchando en/.test(out)) return child;
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    await exited;
    if (attempt < 3 && portTaken(out)) continue;
    throw new Error(`el servidor no arrancó:\n${out}`);
  }
}

/** Stops a server process (SIGTERM) if it still runs, and waits for it. */
export async function stopServerProcess(child: ServerProcess | undefined): Promise<void> {
  if (!child) return;
  if (child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill('SIGTERM');
    await child.exited;
  }
}

/** Polls `check` until it gives a truthy value (returned), or throws after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false,
  ms = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`no llegó a tiempo: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A query on the database from outside the servers (read-only, its own connection). */
export function readQuery<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
