// The server's native memory (issue 28). glibc's malloc gives each thread that allocates its own
// arena, up to 8 per core; the server's threads (V8's compiler and garbage collector, libuv's
// pool) allocate and free in bursts on every write, and an arena keeps the pages it freed
// between live chunks instead of returning them. On 2 cores that was 10–20 KB of resident memory
// per write that no garbage collection gave back (JavaScript's heap stayed flat). One arena for
// every thread keeps the server flat over thousands of writes (two still grew by 12 KB a write
// over 10,000: the arena the other threads share kept its holes too); the threads' small
// allocations come from glibc's per-thread caches, so they seldom wait for the arena's lock.
// glibc reads MALLOC_ARENA_MAX once, when
// the process starts, so `npm start` starts itself again with it (same process id, same
// arguments: execve) unless the operator set it; any other C library ignores the variable.

/** What the server process runs with unless the environment says otherwise. */
export const SERVER_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

/** `env` with the server's allocator settings added where it has none of its own. */
export function withServerAllocator(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [name, value] of Object.entries(SERVER_MALLOC_ENV)) if (!out[name]) out[name] = value;
  return out;
}

/**
 * Replaces this process by itself with `SERVER_MALLOC_ENV` when a setting is missing (Linux;
 * elsewhere, or on a Node without `process.execve`, it carries on as it is). Returns only when
 * nothing had to change.
 */
export function startWithServerAllocator(): void {
  if (process.platform !== 'linux' || typeof process.execve !== 'function') return;
  if (Object.keys(SERVER_MALLOC_ENV).every((name) => process.env[name])) return;
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    withServerAllocator(process.env) as Record<string, string>,
  );
}
