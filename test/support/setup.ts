// Runs before every test file (test/vitest.config.ts, setupFiles). Test files share their
// worker process (`isolate: false`), so what one file changes in the process must not reach the
// next: each file starts from the environment variables the worker started with (a file that
// sets WEBHOOK_ALLOW_PRIVATE_TARGETS=1 for its loopback receiver leaves it set otherwise).
const worker = globalThis as { somnetStartEnv?: Record<string, string | undefined> };
worker.somnetStartEnv ??= { ...process.env };
const start = worker.somnetStartEnv;
for (const key of Object.keys(process.env)) if (!(key in start)) delete process.env[key];
Object.assign(process.env, start);
