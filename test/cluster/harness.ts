import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Db } from '../../src/db/index.ts';
import { startEnhanceEmulator, type StartedEnhanceEmulator } from '../../src/providers/enhance/emulator/index.ts';
import { startLinodeEmulator, type LinodeEmulator } from '../../src/providers/linode/emulator/index.ts';
import { startPayPalEmulator, type PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import { ROOT_DIR } from '../../src/paths.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * Several SkyPanel processes on one PostgreSQL, as deploy/compose.yaml runs them, for the
 * cluster tests (`npm run test:cluster`, test/cluster/*.cluster.ts):
 *
 *   - one database for the run, cloned from the migrated template (test/helpers/db.ts), whose
 *     ledger is checked after every test like any test database;
 *   - the outside systems as ONE set of emulators started here and shared by every node (a
 *     node's own demo emulators would each keep their own state): Linode, PayPal, Enhance.
 *     The nodes run with EMULATORS_ENABLED=false and reach them as real providers: PayPal
 *     through PAYPAL_* variables, Linode and Enhance through the provider and integration rows
 *     a test seeds (seedServerCatalogue(db, { emulated: false, baseUrl, token, config }));
 *   - N real OS processes of `src/main.ts` (`node --import tsx src/main.ts`, what `npm run dev`
 *     runs; the image runs the same code compiled), web + jobs each, NODE_ENV=production, with
 *     the environment variables deploy/compose.yaml sets (values for a test: outbox mail,
 *     loopback only, bcrypt cost 4);
 *   - a small round-robin reverse proxy in front (PUBLIC_URL is its origin): it writes
 *     X-Forwarded-For (TRUSTED_PROXY_COUNT=1, as behind the compose file's Caddy; a test that
 *     speaks for another client address sends it in X-Cluster-Client-Ip), streams responses
 *     (SSE) as they come, passes WebSocket upgrades, and skips a node that refuses the
 *     connection (a killed node, one waiting for the migration lock), as Caddy does.
 *
 * Everything started is stopped by `stop()`, which is safe to call twice and after a failure;
 * node processes are killed when the test process exits, whatever happened.
 *
 *   const cluster = await startCluster({ nodes: 3 });
 *   try { ... cluster.proxyUrl ... cluster.nodes[1].kill('SIGKILL') ... } finally { await cluster.stop(); }
 */

export interface ClusterNode {
  index: number;
  /** `http://127.0.0.1:<port>`: this node directly, not through the proxy. */
  url: string;
  /** The OS process id of the current run (0 before the first start). */
  pid: number;
  /** Everything the process wrote to stdout and stderr, over all its runs. */
  output(): string;
  /** Whether the process is running (started and not exited). */
  running(): boolean;
  /** Sends `signal` (default SIGKILL) and resolves with the exit code once it is gone (null: ended by the signal). */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts the process (again, on the same port) and resolves once `/ready` answers 200. */
  start(): Promise<void>;
  /** Starts the process without waiting for it to be ready: `untilReady()` waits. */
  spawn(): void;
  /** Resolves once `/ready` answers 200; fails if the process exits first or after `ms`. */
  untilReady(ms?: number): Promise<void>;
}

export interface ClusterEmulators {
  linode: LinodeEmulator;
  paypal: PayPalEmulator;
  enhance: StartedEnhanceEmulator;
}

export interface Cluster {
  /** The round-robin proxy's origin: PUBLIC_URL of every node. */
  proxyUrl: string;
  nodes: ClusterNode[];
  /** The shared database (a pool of the test's own). */
  db: Db;
  databaseUrl: string;
  /** The environment every node runs with (PORT aside). */
  env: Record<string, string>;
  /** That environment parsed as a node parses it (its encryption keys seal provider tokens). */
  config: Config;
  emulators: ClusterEmulators;
  /** How many requests (and upgrades) the proxy passed to each node, by index. */
  proxied: number[];
  /** The platform admin every node's first start agrees on (created once, under its lock). */
  admin: { email: string; password: string };
  /** A browser (cookies, CSRF token) speaking real HTTP to `base` (default the proxy). */
  browser(opts?: { base?: string; ip?: string }): ClusterBrowser;
  stop(): Promise<void>;
}

/**
 * TestBrowser over real HTTP: `base` can be changed between requests, so one session can be
 * carried from one node to another (`browser.base = cluster.nodes[2].url`).
 */
export interface ClusterBrowser extends TestBrowser {
  base: string;
}

export interface ClusterOptions {
  nodes: number;
  /** Added to (or replacing) every node's environment. */
  env?: Record<string, string>;
  /** Start the nodes (default true); false: only create them, `node.start()` later. */
  start?: boolean;
}

/** The environment of every node: the variables deploy/compose.yaml sets, with test values. */
export function nodeEnvironment(o: {
  databaseUrl: string;
  proxyUrl: string;
  paypal: PayPalEmulator;
  admin: { email: string; password: string };
}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PUBLIC_URL: o.proxyUrl,
    TRUSTED_PROXY_COUNT: '1',
    DATABASE_URL: o.databaseUrl,
    DATABASE_POOL_MAX: '5',
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    JOBS_ENABLED: 'true',
    WEB_ENABLED: 'true',
    EMULATORS_ENABLED: 'false',
    MAIL_TRANSPORT: 'outbox',
    DEFAULT_ADMIN_EMAIL: o.admin.email,
    DEFAULT_ADMIN_PASSWORD: o.admin.password,
    BCRYPT_COST: '4',
    PAYPAL_CLIENT_ID: o.paypal.clientId,
    PAYPAL_CLIENT_SECRET: o.paypal.clientSecret,
    PAYPAL_BASE_URL: o.paypal.url,
    PAYPAL_WEBHOOK_ID: o.paypal.webhookId,
  };
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    const errors: unknown[] = [];
    for (const stop of stops.splice(0).reverse()) await stop().catch((err: unknown) => errors.push(err));
    if (errors.length) throw errors[0];
  };
  try {
    const database = await createTestDatabase();
    stops.push(() => database.drop());

    const proxyPort = await freePort();
    const proxyUrl = `http://127.0.0.1:${proxyPort}`;
    const linode = await startLinodeEmulator({ demo: true });
    stops.push(() => linode.close());
    const paypal = await startPayPalEmulator({ appWebhookUrl: `${proxyUrl}/webhooks/paypal` });
    stops.push(() => paypal.close());
    const enhance = await startEnhanceEmulator();
    stops.push(() => enhance.close());

    const admin = { email: 'cluster-admin@example.test', password: 'cluster-admin-password' };
    const env = {
      ...nodeEnvironment({ databaseUrl: database.url, proxyUrl, paypal, admin }),
      ...opts.env,
    };
    const config = loadConfig(env);

    const nodes: ProcessNode[] = [];
    for (let i = 0; i < opts.nodes; i++) nodes.push(new ProcessNode(i, await freePort(), env));
    stops.push(() => Promise.all(nodes.map((n) => n.stop())));

    const proxied = nodes.map(() => 0);
    const proxy = startProxy(proxyPort, nodes, proxied);
    await new Promise<void>((resolve, reject) => {
      proxy.once('listening', resolve);
      proxy.once('error', reject);
    });
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          proxy.closeAllConnections();
          proxy.close(() => resolve());
        }),
    );

    // Together, as a compose file's replicas start: migrations and the first admin under their locks.
    if (opts.start !== false) await Promise.all(nodes.map((n) => n.start()));

    let stopped = false;
    return {
      proxyUrl,
      nodes,
      db: database.db,
      databaseUrl: database.url,
      env,
      config,
      emulators: { linode, paypal, enhance },
      proxied,
      admin,
      browser: (o = {}) => httpBrowser(o.base ?? proxyUrl, o.ip),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

/** Every node process this test process started: none outlives it, even when a hook timed out. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** One SkyPanel OS process, restartable on its port. */
class ProcessNode implements ClusterNode {
  readonly url: string;
  pid = 0;
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private log = '';

  constructor(
    readonly index: number,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  output(): string {
    return this.log;
  }

  running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  spawn(): void {
    if (this.running()) throw new Error(`node ${this.index} is already running`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT_DIR,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT_DIR, ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    children.add(child);
    this.pid = child.pid ?? 0;
    this.log += `--- node ${this.index} started (pid ${this.pid}) ---\n`;
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        children.delete(child);
        this.log += `--- node ${this.index} exited (${signal ?? code}) ---\n`;
        resolve(code);
      }),
    );
  }

  async untilReady(ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!this.running()) throw new Error(`node ${this.index} exited before it was ready:\n${this.log}`);
      const status = await fetch(`${this.url}/ready`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`node ${this.index} not ready after ${ms} ms:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async start(): Promise<void> {
    this.spawn();
    await this.untilReady();
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (!this.running()) return this.exited;
    this.child!.kill(signal);
    return this.exited;
  }

  /** SIGTERM (a graceful stop), SIGKILL if it is still there after 15 s. */
  async stop(): Promise<void> {
    if (!this.running()) return;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }
}

/**
 * The round-robin reverse proxy: each request (or WebSocket upgrade) goes to the next node in
 * turn; a node that refuses the connection is skipped (the request body is held, so the next
 * node receives it whole). Responses are streamed, never buffered.
 */
function startProxy(port: number, nodes: ProcessNode[], proxied: number[]): Server {
  let turn = 0;
  const order = () => {
    const start = turn++ % nodes.length;
    return nodes.map((_, i) => nodes[(start + i) % nodes.length]!);
  };
  // Every test client connects from 127.0.0.1: one that speaks for another address says so in
  // X-Cluster-Client-Ip, and the proxy forwards that as the address it saw (as Caddy appends
  // its peer's). Otherwise the peer is appended to what the client sent, as a proxy does.
  const forwardedFor = (req: IncomingMessage) => {
    const pretend = req.headers['x-cluster-client-ip'];
    if (typeof pretend === 'string' && pretend) return pretend;
    const peer = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const prior = req.headers['x-forwarded-for'];
    return prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}` : peer;
  };

  const server = http.createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers: http.OutgoingHttpHeaders = {
      ...req.headers,
      'x-forwarded-for': forwardedFor(req),
      'x-forwarded-proto': 'http',
    };
    delete headers['x-cluster-client-ip'];
    const candidates = order().filter((n) => n.running());
    const attempt = (i: number): void => {
      const node = candidates[i];
      if (!node) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end('no node answered');
        return;
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: node.port, method: req.method, path: req.url, headers },
        (up) => {
          proxied[node.index]! += 1;
          res.writeHead(up.statusCode ?? 502, up.rawHeaders);
          res.flushHeaders();
          up.pipe(res);
        },
      );
      upstream.once('error', (err: NodeJS.ErrnoException) => {
        // Nothing reached a node that refused the connection: the next one gets the request.
        if (!res.headersSent && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET')) return attempt(i + 1);
        res.destroy(err);
      });
      res.once('close', () => upstream.destroy());
      upstream.end(body);
    };
    attempt(0);
  });

  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const candidates = order().filter((n) => n.running());
    const attempt = (i: number): void => {
      const node = candidates[i];
      if (!node) return void client.destroy();
      const upstream = net.connect(node.port, '127.0.0.1');
      upstream.once('error', () => {
        if (!upstream.bytesRead) return attempt(i + 1);
        client.destroy();
      });
      upstream.once('connect', () => {
        proxied[node.index]! += 1;
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (let h = 0; h < req.rawHeaders.length; h += 2)
          if (!['x-forwarded-for', 'x-cluster-client-ip'].includes(req.rawHeaders[h]!.toLowerCase()))
            lines.push(`${req.rawHeaders[h]}: ${req.rawHeaders[h + 1]}`);
        lines.push(`X-Forwarded-For: ${forwardedFor(req)}`);
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
      });
    };
    attempt(0);
  });
  server.listen(port, '127.0.0.1');
  return server;
}

/**
 * TestBrowser's cookie and CSRF handling over real HTTP (redirects are not followed, as in
 * app.request). Its address (`ip`) reaches a node as the client's: through the proxy by
 * X-Cluster-Client-Ip, directly by X-Forwarded-For (TRUSTED_PROXY_COUNT=1).
 */
function httpBrowser(base: string, ip = '203.0.113.10'): ClusterBrowser {
  const target = {
    base,
    request: (path: string, init: RequestInit = {}) =>
      fetch(new URL(path, target.base), {
        ...init,
        headers: { ...(init.headers as Record<string, string>), 'x-forwarded-for': ip, 'x-cluster-client-ip': ip },
        redirect: 'manual',
      }),
  };
  const browser = new TestBrowser(target as never, ip) as ClusterBrowser;
  Object.defineProperty(browser, 'base', {
    get: () => target.base,
    set: (v: string) => (target.base = v),
  });
  return browser;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
