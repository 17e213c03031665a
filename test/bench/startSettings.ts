// How `npm start` runs the server (package.json's start script, which the systemd unit repeats):
// its environment defaults (`NAME=${NAME:-value}`) and its Node.js flags. Every benchmark that
// starts a server takes them from here, so it measures the server as production runs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const projectRoot = join(import.meta.dirname, '..', '..');

/**
 * The environment defaults and Node.js flags of `npm start`. BENCH_NODE_FLAGS replaces the flags
 * ('' for none); an environment variable set for the benchmark wins over npm start's default.
 */
export function startSettings(): { env: Record<string, string>; flags: string[] } {
  const script = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } })
    .scripts.start;
  const env: Record<string, string> = {};
  for (const m of script.matchAll(/\b(\w+)=\$\{\1:-([^}]*)\}/g)) env[m[1]] = process.env[m[1]] ?? m[2];
  const startFlags =
    /\bnode((?:\s+--\S+)*)\s+api\/start\.ts/.exec(script)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
  const flags =
    process.env.BENCH_NODE_FLAGS === undefined ? startFlags : process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean);
  return { env, flags };
}
