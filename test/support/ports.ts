// Loopback ports for the servers the tests start. A port the kernel just gave to listen(0) is free
// when this returns, but it comes from the ephemeral range: another test file's outgoing
// connection can take it before our server binds it. Starters therefore retry on a fresh port
// when the server reports the port taken (`portTaken`), instead of guessing a random number.

import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The server's own words (api/main.ts) when its PORT was in use: start it again on another. */
export function portTaken(output: string): boolean {
  return /El puerto \d+ ya está en uso/.test(output);
}
