import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import net from 'node:net';
import { WebSocket } from 'ws';
import { createServer } from '../../src/domain/servers/create.ts';
import { followServer } from '../../src/domain/servers/follow.ts';
import { startDemoSshServer, type DemoSshOptions, type DemoSshServer } from '../../src/providers/ssh/emulator/index.ts';
import { attachConsole, type ConsoleServer } from '../../src/web/console/index.ts';
import type { Config } from '../../src/config.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { seedServerCatalogue, startTestCloud, usd, type SeededCatalogue, type TestCloud } from '../helpers/servers.ts';
import { join } from '../organizations/cast.ts';
import { actorFor } from '../servers/helpers.ts';

/**
 * The console's world: the real app served over HTTP on 127.0.0.1 (PUBLIC_URL is that origin,
 * so a browser's Origin matches it), the console attached to that server, a Linode emulator of
 * its own (stepped clock) answering the out-of-band console, and a demo SSH server with a
 * simulated shell that the emulated provider's servers point at (`ssh.target` can be moved to
 * another demo server, to change a server's host key).
 */
export interface ConsoleWorld {
  ctx: TestContext;
  cloud: TestCloud;
  catalogue: SeededCatalogue;
  origin: string;
  http: Server;
  consoles: ConsoleServer;
  ssh: DemoSshServer;
  /** Where SSH consoles of emulated servers go; tests may point it at another demo server. */
  sshTarget: { host: string; port: number };
  close(): Promise<void>;
}

export const SSH_USER = 'root';
export const SSH_PASSWORD = 'console-test-password';

export async function consoleWorld(
  env: Record<string, string> = {},
  sshOptions: DemoSshOptions = {},
): Promise<ConsoleWorld> {
  const cloud = await startTestCloud();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const ctx = await createTestContext(
    {
      PUBLIC_URL: origin,
      TRUSTED_PROXY_COUNT: '0',
      RATE_LIMIT_AUTHENTICATED: '100000',
      RATE_LIMIT_AUTH_ACTIONS: '10000',
      ...env,
    },
    { cloud: cloud.provider },
  );
  const catalogue = await seedServerCatalogue(ctx.db);
  const http = serve({ fetch: ctx.app.fetch, port, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => (http.listening ? resolve() : http.once('listening', () => resolve())));
  const ssh = await startDemoSshServer({ users: { [SSH_USER]: SSH_PASSWORD }, ...sshOptions });
  const sshTarget = { host: ssh.host, port: ssh.port };
  const consoles = attachConsole(http, ctx.deps, { demoSsh: sshTarget });
  return {
    ctx,
    cloud,
    catalogue,
    origin,
    http,
    consoles,
    ssh,
    sshTarget,
    async close() {
      await consoles.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await ssh.close();
      await ctx.close();
      await cloud.close();
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

/** A customer (own organization, funded) signed in through the real form, with a running server. */
export async function customerWithServer(world: ConsoleWorld, name: string) {
  const person = await createPerson(world.ctx, name, { verified: true, email: uniqueEmail(name) });
  await fundWallet(world.ctx.db, person.organization.id, usd(50));
  const serverId = await runningServer(world, person, person.organization.id);
  const browser = await signedIn(world.ctx, person.email);
  await browser.get('/dashboard');
  return { person, serverId, browser };
}

/** A running server of `orgId`, created by `owner` as the create form would and settled at the provider. */
export async function runningServer(world: ConsoleWorld, owner: { id: string }, orgId: string): Promise<string> {
  const { server } = await createServer(world.ctx.deps, actorFor(owner, orgId), {
    label: `console-${Math.random().toString(36).slice(2, 8)}`,
    region: 'us-east',
    planId: world.catalogue.plans.small.id,
    image: 'debian12',
  });
  world.cloud.emu.settle();
  await followServer(world.ctx.deps, { serverId: server.id, attempt: 0 });
  return server.id;
}

/** POSTs a ticket request as the console page does (JSON, the page's CSRF token); the JSON answer and status. */
export async function requestTicket(
  world: ConsoleWorld,
  browser: TestBrowser,
  serverId: string,
  body: Record<string, unknown> = { mode: 'lish' },
): Promise<{ status: number; json: Record<string, unknown> & { ticket?: string } }> {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await world.ctx.app.request(`/vps/${serverId}/console/tickets`, {
    method: 'POST',
    headers: {
      cookie,
      origin: world.origin,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/json',
      'x-csrf-token': browser.csrf,
      'x-forwarded-for': '203.0.113.10',
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & { ticket?: string } };
}

/**
 * A browser's side of a console socket: what it received, as terminal text (binary frames)
 * and control messages (text frames), and how it closed.
 */
export class TestTerminal {
  private chunks: string[] = [];
  private joined: string | null = '';
  /** The last 256 characters received (cheap to look at while megabytes arrive). */
  tail = '';
  controls: Array<Record<string, unknown>> = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const text = data.toString('utf8');
        this.chunks.push(text);
        this.joined = null;
        this.tail = (this.tail + text).slice(-256);
      } else this.controls.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString('utf8') };
      this.wake();
    });
    ws.on('error', () => this.wake());
  }

  /** Everything received as terminal output so far. */
  get output(): string {
    if (this.joined === null) {
      this.joined = this.chunks.join('');
      this.chunks = [this.joined];
    }
    return this.joined;
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `ok()` holds (checked on every message), or fails after `ms` with what arrived. */
  async until(ok: () => boolean, what: string, ms = 8_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; output: ${JSON.stringify(this.output.slice(-400))}; controls: ${JSON.stringify(this.controls)}; closed: ${JSON.stringify(this.closed)}`,
        );
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  waitFor(text: string | RegExp, ms?: number) {
    return this.until(
      () => (typeof text === 'string' ? this.output.includes(text) : text.test(this.output)),
      String(text),
      ms,
    );
  }

  async waitClose(ms?: number) {
    await this.until(() => this.closed !== null, 'the socket to close', ms);
    return this.closed!;
  }

  /** Types `text` as xterm sends keystrokes: a binary frame of UTF-8. */
  type(text: string) {
    this.ws.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  control(message: Record<string, unknown>) {
    this.ws.send(JSON.stringify(message));
  }

  lastError() {
    return [...this.controls].reverse().find((c) => c.type === 'error');
  }
}

/**
 * Opens the console socket as the page does (the browser's Origin header), without
 * authenticating yet. `url`: another socket URL (a second console server, another path);
 * `origin: null` sends none.
 */
export async function openSocket(
  world: ConsoleWorld,
  opts: { origin?: string | null; url?: string } = {},
): Promise<TestTerminal> {
  const origin = opts.origin === undefined ? world.origin : opts.origin;
  const ws = new WebSocket(
    opts.url ?? `${world.origin.replace('http', 'ws')}/console/socket`,
    origin === null ? {} : { origin },
  );
  const terminal = new TestTerminal(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return terminal;
}

/** A console opened with `ticket` (auth as the first message). */
export async function openConsole(world: ConsoleWorld, ticket: string, size = { cols: 80, rows: 24 }, url?: string) {
  const terminal = await openSocket(world, { url });
  terminal.control({ type: 'auth', ticket, ...size });
  return terminal;
}

/** Asks for a ticket and opens a console with it; fails the test when the ticket is refused. */
export async function consoleFor(
  world: ConsoleWorld,
  browser: TestBrowser,
  serverId: string,
  body: Record<string, unknown> = { mode: 'lish' },
) {
  const t = await requestTicket(world, browser, serverId, body);
  if (t.status !== 201) throw new Error(`ticket refused: ${t.status} ${JSON.stringify(t.json)}`);
  return openConsole(world, t.json.ticket!);
}

/** Signs in over SSH at the console's prompts. */
export async function sshSignIn(terminal: TestTerminal, user = SSH_USER, password = SSH_PASSWORD) {
  await terminal.waitFor('login as: ');
  terminal.type(`${user}\r`);
  await terminal.waitFor(`password (or paste a private key): `);
  terminal.type(`${password}\r`);
}

/** Waits until `ok()` holds (polling), or fails after `ms`. */
export async function eventually(ok: () => Promise<boolean> | boolean, what: string, ms = 8_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Someone else in `orgId` with role `roleName` (setup), signed in, acting there. */
export async function memberOf(world: ConsoleWorld, orgId: string, name: string, roleName: string) {
  const person = await createPerson(world.ctx, name, { verified: true, email: uniqueEmail(name) });
  await join(world.ctx, orgId, person.id, roleName);
  const browser = await signedIn(world.ctx, person.email);
  await browser.get('/dashboard');
  return { person, browser };
}

/**
 * The same app served on a second HTTP server with its own console, whose configuration
 * differs (a short idle timeout, a cap of one per process): its socket URL and its console.
 */
export async function secondConsole(world: ConsoleWorld, config: Partial<Config>) {
  const http = serve({ fetch: world.ctx.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => (http.listening ? resolve() : http.once('listening', () => resolve())));
  const consoles = attachConsole(
    http,
    { ...world.ctx.deps, config: { ...world.ctx.config, ...config } },
    { demoSsh: world.sshTarget },
  );
  const { port } = http.address() as net.AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/console/socket`,
    consoles,
    async close() {
      await consoles.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
