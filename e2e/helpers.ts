import { serve } from '@hono/node-server';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { generate } from 'otplib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { PASSWORD } from '../test/helpers/people.ts';
import { createTestContext, type TestContext, type TestContextOptions } from '../test/helpers/context.ts';

/** The real app listening on 127.0.0.1, its links (emails included) pointing at itself. */
export interface LiveApp {
  ctx: TestContext;
  origin: string;
  close(): Promise<void>;
}

/**
 * Starts the app over real HTTP on a free port. `PUBLIC_URL` is that origin, so links in
 * emails lead back to this server; no proxy in front, so the client IP is the socket's.
 * `paypalEmulator`: PayPal is the demo emulator served by the app itself (same origin).
 */
/**
 * The app served over HTTP and a headless Chromium, started before the calling file's tests
 * and closed after them; the fields are filled in by the time the tests run.
 */
export function useLiveApp(
  env: Record<string, string> = {},
  opts: Pick<TestContextOptions, 'paypalEmulator' | 'cloud'> = {},
): { live: LiveApp; browser: Browser } {
  const world = {} as { live: LiveApp; browser: Browser };
  beforeAll(async () => {
    world.live = await startApp(env, opts);
    world.browser = await launchBrowser();
  });
  afterAll(async () => {
    await world.browser?.close();
    await world.live?.close();
  });
  return world;
}

export async function startApp(
  env: Record<string, string> = {},
  opts: Pick<TestContextOptions, 'paypalEmulator' | 'cloud'> = {},
): Promise<LiveApp> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const ctx = await createTestContext({ PUBLIC_URL: origin, TRUSTED_PROXY_COUNT: '0', ...env }, opts);
  const server = serve({ fetch: ctx.app.fetch, port, hostname: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    ctx,
    origin,
    async close() {
      // Keep-alive sockets from the browser would hold close() open.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ctx.close();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Debian's Chromium, headless, with nothing that phones home. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What went wrong in a page: console errors, uncaught exceptions, CSP violations. */
export interface PageWatch {
  page: Page;
  problems: string[];
  /** Console errors the test announced (see `expectRefusal`), each matched once. */
  expected: RegExp[];
}

/**
 * Records every console error, uncaught page error and Content-Security-Policy violation
 * of `page` (and of the pages it navigates to). The violation listener runs as an init
 * script — outside the page's CSP — and reports through `console.error`.
 */
export async function watchPage(page: Page): Promise<PageWatch> {
  const watch: PageWatch = { page, problems: [], expected: [] };
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'} at ${e.sourceFile || document.location.pathname}:${e.lineNumber}`,
      );
    });
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const i = watch.expected.findIndex((re) => re.test(msg.text()));
    if (i >= 0) return void watch.expected.splice(i, 1);
    const source = msg.location().url;
    watch.problems.push(
      `console error on ${page.url()}: ${msg.text()}${source && source !== page.url() ? ` (${source})` : ''}`,
    );
  });
  page.on('pageerror', (err) => watch.problems.push(`page error on ${page.url()}: ${err.message}`));
  return watch;
}

/** A fresh browser context (its own cookies) with one watched page. */
export async function openPage(browser: Browser): Promise<PageWatch & { context: BrowserContext }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  return { context, ...(await watchPage(page)) };
}

/**
 * Announces that the next request will be refused with `status` on purpose (a form sent
 * back with errors is a 422): Chromium logs every 4xx fetch as a console error, and this
 * one is the behaviour under test, not a problem. It must happen before the test ends.
 */
export function expectRefusal(watch: PageWatch, status: 401 | 403 | 404 | 409 | 422 | 429) {
  watch.expected.push(new RegExp(`the server responded with a status of ${status}\\b`));
}

/** Ends every browser test: no console error, page error or CSP violation happened (and every announced refusal did). */
export function expectNoProblems(...watches: PageWatch[]) {
  expect(watches.flatMap((w) => w.problems)).toEqual([]);
  expect(watches.flatMap((w) => w.expected.map((re) => `expected but not seen: ${re.source}`))).toEqual([]);
}

/** Saves a full-page screenshot to `.tmp/screenshots/<name>.png` (ignored by git) for a human to look at. */
export async function screenshot(page: Page, name: string) {
  const dir = path.resolve('.tmp/screenshots');
  mkdirSync(dir, { recursive: true });
  // caret 'initial': hiding the caret puts a style attribute on every input, which htmx then copies
  // onto swapped-in elements and the page's CSP (no inline styles) rightly refuses.
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, caret: 'initial' });
}

/**
 * The authenticator app's code for the server's clock, `stepsAhead` 30-second steps later.
 * The server accepts the current step ±1 and each step once, so a second sign-in in the
 * same step uses the next one. Reading the app's (test) clock keeps this off the wall clock.
 */
export function totpCode(ctx: TestContext, secret: string, stepsAhead = 0): Promise<string> {
  const step = Math.floor(ctx.clock.now().getTime() / 1000 / 30) + stepsAhead;
  return generate({ secret, epoch: step * 30 });
}

/** Signs `email` in through the real form and waits for where sign-in leads (`/dashboard`; `/admin` for staff). */
export async function signIn(live: LiveApp, page: Page, email: string, opts: { landing?: string } = {}) {
  await page.goto(`${live.origin}/login`);
  await page.fill('#f-email', email);
  await page.fill('#f-password', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${live.origin}${opts.landing ?? '/dashboard'}`);
}
