import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page, WebSocket as PageSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../src/domain/access/permissions.ts';
import { createServer } from '../src/domain/servers/create.ts';
import { followServer } from '../src/domain/servers/follow.ts';
import { startDemoSshServer, type DemoSshServer } from '../src/providers/ssh/emulator/index.ts';
import { attachConsole, type ConsoleServer } from '../src/web/console/index.ts';
import { createTestContext, type TestContext } from '../test/helpers/context.ts';
import { fundWallet } from '../test/helpers/money.ts';
import { createPerson, PASSWORD } from '../test/helpers/people.ts';
import { seedServerCatalogue, startTestCloud, usd, type TestCloud } from '../test/helpers/servers.ts';
import { expectNoProblems, launchBrowser, openPage, screenshot } from './helpers.ts';

/**
 * The browser console (issue 14, items 1 and 5): Carla opens her server's console from its
 * page, the out-of-band console of the Linode emulator (its demo shell) answers `echo hello`,
 * the terminal follows the window, copy and paste work, she disconnects and reconnects, and
 * then signs in over SSH (the demo SSH server) by typing in the terminal.
 * The app is served over HTTP with the console's WebSocket endpoint attached, as src/main.ts does.
 */

let cloud: TestCloud;
let ctx: TestContext;
let http: Server;
let consoles: ConsoleServer;
let ssh: DemoSshServer;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  // PUBLIC_URL must be the origin the browser uses (the socket checks Origin against it): take a port first.
  http = serve({ fetch: (req) => ctx.app.fetch(req), port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => (http.listening ? resolve() : http.once('listening', resolve)));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  ctx = await createTestContext({ PUBLIC_URL: origin, TRUSTED_PROXY_COUNT: '0' }, { cloud: cloud.provider });
  // SSH mode: the emulated provider's servers are reached at a demo SSH server (root / demo).
  ssh = await startDemoSshServer();
  consoles = attachConsole(http, ctx.deps, { demoSsh: { host: ssh.host, port: ssh.port } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await consoles?.close();
  (http as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  await ctx?.close();
  await ssh?.close();
  await cloud?.close();
});

/** A running server of `orgId`, created as its owner would and followed to running. */
async function runningServer(userId: string, orgId: string, label: string): Promise<string> {
  const catalogue = await seedServerCatalogue(ctx.db);
  await fundWallet(ctx.db, orgId, usd(10));
  const actor = {
    userId,
    isPlatformAdmin: false,
    organizationId: orgId,
    roleName: 'owner',
    permissions: new Set(PERMISSIONS),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '127.0.0.1', userAgent: null },
  };
  const { server } = await createServer(ctx.deps, actor, {
    label,
    region: 'us-east',
    planId: catalogue.plans.small.id,
    image: 'debian12',
  });
  cloud.emu.settle();
  await followServer(ctx.deps, { serverId: server.id, attempt: 0 });
  return server.id;
}

/** The terminal's visible lines, as xterm's DOM renderer draws them. */
const screenLines = (page: Page) =>
  page.locator('.xterm-rows > div').evaluateAll((rows) => rows.map((r) => (r.textContent ?? '').trimEnd()));
const screenText = async (page: Page) => (await screenLines(page)).join('\n');
const status = (page: Page) => page.getByTestId('console-status').textContent();

/** What the page sent on the console socket as text (control messages), parsed. */
function controlMessages(socket: { sent: string[] }) {
  return socket.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
}

describe('the browser console', () => {
  it('Carla opens her server’s console, runs echo hello, resizes the window, copies and pastes, disconnects and reconnects', async () => {
    const carla = await createPerson(ctx, 'Carla Console', { verified: true });
    const id = await runningServer(carla.id, carla.organization.id, 'web-1');
    const watch = await openPage(browser);
    const { page, context } = watch;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });

    // Every console socket the page opens, with the text frames it sent (binary frames are keystrokes).
    const sockets: { socket: PageSocket; sent: string[]; binary: number }[] = [];
    page.on('websocket', (socket) => {
      const record = { socket, sent: [] as string[], binary: 0 };
      sockets.push(record);
      socket.on('framesent', ({ payload }) => {
        if (typeof payload === 'string') record.sent.push(payload);
        else record.binary += 1;
      });
    });

    await page.goto(`${origin}/login`);
    await page.fill('#f-email', carla.email);
    await page.fill('#f-password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${origin}/dashboard`);

    // From the server's page, the Console button: full screen, connecting at once.
    await page.goto(`${origin}/vps/${id}`);
    await page.getByTestId('console-button').click();
    await page.waitForURL(`${origin}/vps/${id}/console`);
    expect(await page.getByTestId('console-label').textContent()).toContain('web-1');
    expect(await page.getByRole('navigation', { name: 'Portal' }).count()).toBe(0);
    await expect.poll(() => status(page), { timeout: 15_000 }).toMatch(/^Connected/);
    await expect.poll(() => screenText(page)).toContain('SkyPanel demo console');
    await expect.poll(() => screenText(page)).toMatch(/root@web-1[\w-]*:~#$/m);

    // The socket: on this origin, no ticket or id in its URL, the ticket as the first message with the terminal's size.
    expect(sockets).toHaveLength(1);
    const first = sockets[0]!;
    expect(first.socket.url()).toBe(`${origin.replace('http:', 'ws:')}/console/socket`);
    const [auth] = controlMessages(first);
    expect(auth).toMatchObject({ type: 'auth', ticket: expect.stringMatching(/^[A-Za-z0-9_-]{22,}$/) });
    expect(auth!.cols).toBeGreaterThan(80);
    expect(auth!.rows).toBeGreaterThan(20);

    // The keyboard is the terminal's: type, and the shell answers.
    await page.keyboard.type('echo hello');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await screenLines(page)).includes('hello'), { timeout: 10_000 }).toBe(true);
    expect(first.binary).toBeGreaterThan(0);
    await screenshot(page, 'console-hello');

    // A smaller window: the terminal refits and tells the server its new size.
    const rowsBefore = await page.locator('.xterm-rows > div').count();
    await page.setViewportSize({ width: 760, height: 480 });
    await expect
      .poll(() => controlMessages(first).filter((m) => m.type === 'resize').length, { timeout: 5_000 })
      .toBeGreaterThan(0);
    const resize = controlMessages(first)
      .filter((m) => m.type === 'resize')
      .at(-1)!;
    expect(resize.cols).toBeLessThan(auth!.cols as number);
    expect(resize.rows).toBeLessThan(auth!.rows as number);
    await expect.poll(() => page.locator('.xterm-rows > div').count()).toBeLessThan(rowsBefore);
    expect(await page.locator('.xterm-rows > div').count()).toBe(resize.rows);

    // Copy: a double click selects a word, Ctrl+Shift+C copies it. Paste: Ctrl+Shift+V types it in.
    const hello = page.locator('.xterm-rows > div', { hasText: /^hello\s*$/ }).last();
    await hello.dblclick({ position: { x: 10, y: 5 } });
    await page.keyboard.press('Control+Shift+C');
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('hello');
    await page.evaluate(() => navigator.clipboard.writeText('echo pasted'));
    await page.locator('.xterm').click();
    await page.keyboard.press('Control+Shift+V');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await screenLines(page)).includes('pasted'), { timeout: 10_000 }).toBe(true);

    // Disconnect ends the session; Reconnect asks for a new ticket and opens a new socket.
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await expect.poll(() => status(page)).toMatch(/^Disconnected/);
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await expect.poll(() => status(page), { timeout: 15_000 }).toMatch(/^Connected/);
    expect(sockets).toHaveLength(2);
    expect(controlMessages(sockets[1]!)[0]!.ticket).not.toBe(auth!.ticket);

    // The shell's own exit closes the console, and the status line says so.
    await expect.poll(() => screenText(page)).toMatch(/root@web-1[\w-]*:~#$/m);
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await expect.poll(() => status(page), { timeout: 10_000 }).toMatch(/ended|closed/i);
    expect(await page.getByRole('button', { name: 'Disconnect' }).isDisabled()).toBe(true);
    await screenshot(page, 'console-ended');

    // SSH: chosen on the page, credentials typed in the terminal (the password is not echoed),
    // and the terminal's size is the shell's, also after the window changes.
    await page.getByRole('radio', { name: 'SSH' }).check();
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await expect.poll(() => screenText(page), { timeout: 15_000 }).toMatch(/login as:$/m);
    expect(controlMessages(sockets[2]!)[0]).toMatchObject({ type: 'auth' });
    await page.keyboard.type('root');
    await page.keyboard.press('Enter');
    await expect.poll(() => screenText(page)).toMatch(/password \(or paste a private key\):$/m);
    await page.keyboard.type('demo');
    await page.keyboard.press('Enter');
    await expect.poll(() => screenText(page), { timeout: 10_000 }).toMatch(/^root@[\w.-]+:~#$/m);
    // Nothing was echoed after the password prompt.
    expect(await screenText(page)).toMatch(/'s password \(or paste a private key\):$/m);
    await page.setViewportSize({ width: 1100, height: 700 });
    await expect.poll(() => controlMessages(sockets[2]!).filter((m) => m.type === 'resize').length).toBeGreaterThan(0);
    const sized = controlMessages(sockets[2]!)
      .filter((m) => m.type === 'resize')
      .at(-1)!;
    await page.keyboard.type('stty size');
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => (await screenLines(page)).includes(`${sized.rows} ${sized.cols}`), { timeout: 10_000 })
      .toBe(true);
    await screenshot(page, 'console-ssh');
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await expect.poll(() => status(page)).toMatch(/^Disconnected/);

    // Back to the server page.
    await page.getByRole('link', { name: 'Back to server' }).click();
    await page.waitForURL(`${origin}/vps/${id}`);
    expectNoProblems(watch);
    await context.close();
  });
});
