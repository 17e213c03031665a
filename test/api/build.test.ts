// `npm run build` and the build's life next to running servers: it finishes (it used to exit 13
// on an import cycle), it never changes a build a server is running, and it does not depend on
// PUBLIC_URL, so servers of one checkout with different URLs share one build.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveUsers, removeUnusedBuilds } from '../../api/build.ts';
import { buildLayout, currentLink, projectRoot } from '../../api/paths.ts';
import { tempDatabasePath } from '../support/db.ts';
import { freePort, portTaken } from '../support/ports.ts';

const children: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null
        ? undefined
        : new Promise((r) => {
            c.once('exit', r);
            c.kill('SIGTERM');
          }),
    ),
  );
});

async function startServer(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, [join(projectRoot, 'api', 'start.ts')], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: tempDatabasePath(), ...env },
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    child.stderr!.on('data', (d) => {
      out += d;
    });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    // Our own server says it listens before /healthz is asked: another process that took the
    // port in the meantime must not answer for it.
    while (Date.now() < deadline) {
      if (
        /escuchando en/.test(out) &&
        (await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        ))
      )
        return { child, base, output: () => out };
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (attempt < 3 && child.exitCode !== null && portTaken(out)) continue;
    throw new Error(`el servidor no arrancó:\n${out}`);
  }
}

/**
 * A GET on a new connection: the build takes longer than the servers' keep-alive timeout, and a
 * pooled connection the server is closing at that moment would fail the request.
 */
function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    }).on('error', reject);
  });
}

/** Relative imports of every module under api/, to look for cycles. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      if (!name.endsWith('.ts')) continue;
      const source = readFileSync(full, 'utf8');
      // Type-only imports are erased before the module runs, so they cannot form a cycle.
      const runtime = source.replace(/^(?:import|export) type [^;]*;/gm, '');
      const targets = [...runtime.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+\.ts)'/g)].map((m) =>
        resolve(dirname(full), m[1]),
      );
      graph.set(
        full,
        targets.filter((t) => t.startsWith(join(projectRoot, 'api'))),
      );
    }
  };
  walk(join(projectRoot, 'api'));
  return graph;
}

describe('npm run build', () => {
  it('no module of api/ imports, even dynamically, one that leads back to it', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(10);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => f.slice(projectRoot.length + 1)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('finishes, swaps the new build in while a running server keeps its own, and ignores PUBLIC_URL', async () => {
    const one = await startServer({ PUBLIC_URL: 'https://uno.example' });
    const before = realpathSync(currentLink);
    // Another URL on the same checkout: same build, no rebuild under the first server's feet.
    const two = await startServer({ PUBLIC_URL: 'https://dos.example' });
    expect(two.output()).not.toContain('Construyendo');
    expect(realpathSync(currentLink)).toBe(before);

    const build = spawnSync(process.execPath, [join(projectRoot, 'api', 'build.ts')], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, PUBLIC_URL: 'https://tres.example' },
    });
    expect(build.status, build.stderr).toBe(0);
    const after = realpathSync(currentLink);
    expect(after).not.toBe(before);
    expect(existsSync(buildLayout.serverEntry(after))).toBe(true);
    // The old build stays while servers run it: a page they render for the first time loads
    // its code from there.
    expect(existsSync(buildLayout.serverEntry(before))).toBe(true);
    for (const server of [one, two]) {
      const res = await get(`${server.base}/leds`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('LED');
    }

    // A new server runs the new build; once the old one has no live process, it is removed.
    const three = await startServer({});
    expect(three.output()).not.toContain('Construyendo');
    for (const s of [one, two])
      await new Promise((r) => {
        s.child.once('exit', r);
        s.child.kill('SIGTERM');
      });
    removeUnusedBuilds();
    // Other test files running now may have loaded the old build too: then it must stay.
    if (liveUsers(before).length === 0) expect(existsSync(before)).toBe(false);
    else expect(existsSync(buildLayout.serverEntry(before))).toBe(true);
    expect(existsSync(buildLayout.serverEntry(after))).toBe(true);
    expect((await get(`${three.base}/`)).status).toBe(200);
  }, 180_000);
});
