import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's Chromium, never a downloaded browser. Flags keep it off the (closed) network. */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * One Chromium per test worker: launching it costs about a second (several on a busy machine),
 * and test files run one after another in the same worker (test/vitest.config.ts, `isolate:
 * false`). Started on first use, so a worker that runs no browser test never starts one; a
 * browser that crashed is replaced. Playwright closes it when the worker exits.
 */
let shared: Promise<Browser> | undefined;
async function workerBrowser(): Promise<Browser> {
  const current = shared && (await shared.catch(() => undefined));
  if (current?.isConnected()) return current;
  shared = launchChromium();
  return shared;
}

/**
 * The worker's Chromium, lent to one test file. Each file still gets fresh browser contexts
 * (cookies, storage and cache of their own) from `newContext()` and `newPage()`; its `close()`
 * closes the contexts this file opened and leaves the browser running for the next file.
 */
export async function launchBrowser(): Promise<Browser> {
  const browser = await workerBrowser();
  const opened = new Set<BrowserContext>();
  const track = (context: BrowserContext) => {
    opened.add(context);
    context.once('close', () => opened.delete(context));
    return context;
  };
  return new Proxy(browser, {
    get(target, property, receiver) {
      if (property === 'newContext')
        return async (...args: Parameters<Browser['newContext']>) => track(await target.newContext(...args));
      if (property === 'newPage')
        return async (...args: Parameters<Browser['newPage']>) => {
          const page = await target.newPage(...args);
          track(page.context());
          return page;
        };
      if (property === 'close')
        return async () => {
          await Promise.all([...opened].map((context) => context.close().catch(() => undefined)));
        };
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
