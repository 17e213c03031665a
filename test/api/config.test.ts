import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../api/config.ts';
import { projectRoot } from '../../api/paths.ts';
import { tempDatabasePath } from '../support/db.ts';
import { freePort, portTaken } from '../support/ports.ts';

describe('configuration from the environment', () => {
  it('has defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 4321,
      host: '0.0.0.0',
      databasePath: './data/somnet.db',
      publicUrl: 'http://localhost:4321',
    });
  });

  it('reads every variable and trims the trailing slash of PUBLIC_URL', () => {
    expect(
      loadConfig({
        PORT: '8080',
        HOST: '127.0.0.1',
        DATABASE_PATH: '/srv/estado.db',
        PUBLIC_URL: 'https://status.somnet.com.mx/',
      }),
    ).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databasePath: '/srv/estado.db',
      publicUrl: 'https://status.somnet.com.mx',
    });
  });

  for (const [env, variable] of [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '0' }, 'PORT'],
    [{ PUBLIC_URL: 'status.somnet.com.mx' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} with one line naming ${variable}`, () => {
      expect(() => loadConfig(env)).toThrow(new RegExp(`^Configuración inválida: ${variable} `));
    });
  }

  it('npm start stops on bad configuration with one clear line and no stack trace', () => {
    const result = spawnSync(process.execPath, [join(projectRoot, 'api', 'start.ts')], {
      env: { ...process.env, PORT: 'ochenta', DATABASE_PATH: tempDatabasePath() },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^Configuración inválida: PORT debe ser un número entero \(valor recibido: «ochenta»\)\.$/,
    );
  });
});

describe('npm start', () => {
  it('creates the database directory, migrates, seeds once and serves /healthz', async () => {
    const dir = join(tempDatabasePath(), '..', 'nested', 'dir');
    const dbPath = join(dir, 'somnet.db');
    const { spawn } = await import('node:child_process');
    const run = async (): Promise<{ ok: boolean; elapsed: number; out: string }> => {
      const port = await freePort();
      const startedAt = Date.now();
      const child = spawn(process.execPath, [join(projectRoot, 'api', 'start.ts')], {
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: dbPath },
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      let ok = false;
      while (Date.now() - startedAt < 15_000 && !ok && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50));
        ok =
          /escuchando en/.test(out) &&
          (await fetch(`http://127.0.0.1:${port}/healthz`).then(
            (r) => r.ok,
            () => false,
          ));
      }
      const elapsed = Date.now() - startedAt;
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      // The port was taken between freePort and the server's listen: again, on another (the
      // output kept, since the first attempt may already have created and seeded the database).
      if (!ok && portTaken(out)) {
        const again = await run();
        return { ...again, out: out + again.out };
      }
      return { ok, elapsed, out };
    };
    const first = await run();
    expect(first.ok).toBe(true);
    expect(existsSync(dbPath)).toBe(true);
    expect(first.out).toMatch(/Primer arranque/);
    const second = await run();
    expect(second.ok).toBe(true);
    expect(second.out).not.toMatch(/Primer arranque/);
    // The 1 s cold-start target is measured by `npm run bench`, not here: test files run in
    // parallel on two cores. This only guards against a start that hangs.
    expect(second.elapsed).toBeLessThan(10_000);
  });

  it('says in one line that its port is taken, in the words the test starters retry on', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    try {
      const result = spawnSync(process.execPath, [join(projectRoot, 'api', 'start.ts')], {
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: tempDatabasePath() },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr + result.stdout).toContain(`El puerto ${port} ya está en uso; elija otro con PORT=…`);
      expect(portTaken(result.stderr + result.stdout)).toBe(true);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });
});
