import { defineConfig } from 'vitest/config';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    // better-sqlite3 is a native addon: worker processes, not threads. Each test file has its
    // own database (test/support/db.ts) and closes what it starts, so files need no fresh process
    // each: a worker runs file after file, importing the app, the Astro build and Chromium
    // (test/support/browser.ts) once instead of once per file. test/support/setup.ts resets what
    // a file may leave behind in the process (environment variables).
    pool: 'forks',
    isolate: false,
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    env: {
      // Node's compile cache for the processes tests start (the CLI, servers, exports): each is a
      // cold start that otherwise compiles the same modules again.
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'somnet-status-compile-cache'),
    },
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
