/**
 * The soak: `npm run soak`. One SkyPanel process (`node dist/src/main.js`, built first when
 * missing or stale, production settings, web and jobs, as a container runs it; `-- --tsx` runs
 * the sources through tsx instead) on a scratch PostgreSQL, driven for
 * SOAK_MINUTES (10) at a steady SOAK_RATE (20 operations a second) with a realistic mix from
 * a handful of customers:
 *
 *   page views      signed-in pages (dashboard, servers, one server with live reads from the
 *                   Linode emulator, billing, invoices, activity, notifications, API keys)
 *   API calls       bearer-token reads (servers, one server, wallet, transactions, plans, me,
 *                   invoices, notifications)
 *   sign-ins        the login form, the dashboard, sign-out (bcrypt each time)
 *   top-ups         PayPal through the demo emulator the app serves: create the order over the
 *                   API, approve it at the emulator, capture it (the API's capture or the
 *                   return page a browser lands on, alternately)
 *   servers         created over the API on the demo Linode emulator, deleted once running
 *   SSE             subscribers held open on GET /events (reconnecting when the server ends a
 *                   stream after its 4–5 minutes, as EventSource does)
 *   consoles        a browser console every few seconds: a ticket, the WebSocket, a command
 *                   typed and its output read, through Lish and the demo SSH server in turn
 *   billing runs    `billing.hourly` sent to pg-boss every minute, as the schedule sends it,
 *                   carried out by the app's own worker
 *
 * Every 30 s it prints throughput, p50/p99, errors by kind, the app's RSS and heap, its CPU and
 * the load average; at the end the totals, latencies per operation, RSS growth after the warm-up
 * (SOAK_WARMUP_SECONDS, default the first 20%): RSS after a full GC (asked of the app's
 * inspector on loopback) at the end of the warm-up and at the end, both under load, target
 * < 10%; errors (target 0: any unexpected status, a request over 15 s, a failed job, an error
 * line in the app's log, a console or stream the app still holds after the customers closed
 * theirs), the ledger invariants, and PASS or FAIL. Exit code 0 either way: it reports.
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { EMULATORS_IN_PRODUCTION_CONSENT } from '../src/config.ts';
import { createDb } from '../src/db/index.ts';
import { checkLedgerInvariants } from '../src/domain/ledger/invariants.ts';
import { createBoss } from '../src/queue/index.ts';
import { scratchPostgres, signUpAndIn } from './harness.ts';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const RATE = Number(process.env.SOAK_RATE ?? 20);
const DURATION_MS = MINUTES * 60_000;
const WARMUP_MS = Number(process.env.SOAK_WARMUP_SECONDS ?? (MINUTES * 60) / 5) * 1000;
const REPORT_MS = Number(process.env.SOAK_REPORT_SECONDS ?? 30) * 1000;
const CUSTOMERS = Number(process.env.SOAK_CUSTOMERS ?? 6);
const SSE_SUBSCRIBERS = Number(process.env.SOAK_SSE ?? 60);
const CONSOLE_EVERY_MS = Number(process.env.SOAK_CONSOLE_SECONDS ?? 6) * 1000;
const BILLING_EVERY_MS = Number(process.env.SOAK_BILLING_SECONDS ?? 60) * 1000;
/** Operations in flight beyond this are not started (counted as `overload`: the app fell behind). */
const MAX_IN_FLIGHT = 200;
const REQUEST_TIMEOUT_MS = 15_000;
const RSS_TARGET = 0.1;
/**
 * SOAK_HEAP_SNAPSHOTS=1: heap snapshots of the app at both measuring points, in .tmp/soak/
 * (compare them in DevTools). Taking one pauses the app for seconds and leaves its RSS far
 * higher: the RSS figures of such a run say nothing about growth.
 */
const SNAPSHOTS = process.env.SOAK_HEAP_SNAPSHOTS === '1';
const COOKIE = '__Host-sp_session';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The compiled app, as a container runs it (built first when missing or stale); `--tsx`: the sources through tsx. */
const TSX = process.argv.includes('--tsx');
const COMMAND = TSX ? ['--import', 'tsx', 'src/main.ts'] : ['dist/src/main.js'];

/** The mix: each tick starts one operation, chosen by these weights. */
const MIX: Array<[Op, number]> = [
  ['page', 52],
  ['api', 36],
  ['sign-in', 4],
  ['top-up', 4],
  ['server', 4],
];
type Op = 'page' | 'api' | 'sign-in' | 'top-up' | 'server';

// ---------------------------------------------------------------------------------------------
// Figures: one window per report, one for the whole run.

class Figures {
  latencies: number[] = [];
  requests = 0;
  ops = new Map<string, number>();
  errors = new Map<string, number>();
  op(name: string) {
    this.ops.set(name, (this.ops.get(name) ?? 0) + 1);
  }
  error(kind: string) {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }
  get errorCount() {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }
}
let window = new Figures();
const total = new Figures();
const consoleLatencies: number[] = [];
/** Request latencies of the whole run by operation. */
const byOp = new Map<string, number[]>();
const billingRuns: number[] = [];
function request(ms: number) {
  window.latencies.push(ms);
  total.latencies.push(ms);
  window.requests++;
  total.requests++;
}
function done(op: string) {
  window.op(op);
  total.op(op);
}
function fail(kind: string) {
  window.error(kind);
  total.error(kind);
  if ((total.errors.get(kind) ?? 0) <= 3) log(`error: ${kind}`);
}

function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

// ---------------------------------------------------------------------------------------------
// HTTP as the customers' browsers and scripts send it.

let BASE = '';

class Refused extends Error {}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One request, timed to its last byte. An answer outside `expect` (or no answer) is an error of
 * kind `<op>: <what> → <status>` and throws `Refused` so the operation stops there.
 */
async function call(
  op: string,
  what: string,
  url: string,
  init: RequestInit & { expect?: number[] } = {},
): Promise<Answer> {
  const started = performance.now();
  let res: Response;
  let text: string;
  try {
    res = await fetch(url.startsWith('http') ? url : `${BASE}${url}`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      ...init,
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    fail(`${op}: ${what} → ${e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.message)}`);
    throw new Refused();
  }
  const ms = performance.now() - started;
  request(ms);
  if (!byOp.has(op)) byOp.set(op, []);
  byOp.get(op)!.push(ms);
  if (!(init.expect ?? [200]).includes(res.status)) {
    fail(`${op}: ${what} → ${res.status}`);
    if ((total.errors.get(`${op}: ${what} → ${res.status}`) ?? 0) <= 1) log(`  ${text.slice(0, 300)}`);
    throw new Refused();
  }
  return { status: res.status, headers: res.headers, text };
}

const csrfOf = (html: string) => /name="csrf-token" content="([^"]+)"/.exec(html)?.[1];

interface Customer {
  n: number;
  email: string;
  password: string;
  cookie: string;
  csrf: string;
  token: string;
  resident: string;
  /** Servers the churn created, oldest first. */
  extra: Array<{ id: string; at: number }>;
  topUps: number;
}

function browserHeaders(c: Customer, extra: Record<string, string> = {}) {
  return { cookie: c.cookie, origin: BASE, 'sec-fetch-site': 'same-origin', ...extra };
}
function apiHeaders(c: Customer, extra: Record<string, string> = {}) {
  return { authorization: `Bearer ${c.token}`, ...extra };
}

// ---------------------------------------------------------------------------------------------
// The operations.

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

async function pageView(c: Customer) {
  const page = pick([
    '/dashboard',
    '/vps',
    `/vps/${c.resident}`,
    '/billing',
    '/invoices',
    '/activity',
    '/notifications',
    '/settings/api-keys',
    '/support',
  ]);
  await call('page', `GET ${page.replace(c.resident, ':id')}`, page, { headers: browserHeaders(c) });
  done('page');
}

async function apiCall(c: Customer) {
  const at = pick([
    '/api/v1/vps',
    `/api/v1/vps/${c.resident}`,
    '/api/v1/wallet',
    '/api/v1/wallet/transactions',
    '/api/v1/plans',
    '/api/v1/me',
    '/api/v1/invoices',
    '/api/v1/notifications',
  ]);
  await call('api', `GET ${at.replace(c.resident, ':id')}`, at, { headers: apiHeaders(c) });
  done('api');
}

async function signIn(c: Customer) {
  const form = await call('sign-in', 'GET /login', '/login');
  const anon = form.headers
    .getSetCookie()
    .find((k) => k.startsWith('sp_csrf='))
    ?.split(';')[0];
  const token = csrfOf(form.text);
  if (!anon || !token) return fail('sign-in: no CSRF token on /login');
  const posted = await call('sign-in', 'POST /login', '/login', {
    method: 'POST',
    expect: [303],
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: anon,
      origin: BASE,
      'sec-fetch-site': 'same-origin',
    },
    body: new URLSearchParams({ _csrf: token, email: c.email, password: c.password }),
  });
  const session = posted.headers
    .getSetCookie()
    .find((k) => k.startsWith(`${COOKIE}=`))
    ?.split(';')[0];
  if (!session) return fail('sign-in: no session cookie');
  const signedIn = { ...c, cookie: session };
  const dashboard = await call('sign-in', 'GET /dashboard', '/dashboard', { headers: browserHeaders(signedIn) });
  await call('sign-in', 'POST /logout', '/logout', {
    method: 'POST',
    expect: [303],
    headers: browserHeaders(signedIn, { 'content-type': 'application/x-www-form-urlencoded' }),
    body: new URLSearchParams({ _csrf: csrfOf(dashboard.text) ?? '' }),
  });
  done('sign-in');
}

async function topUp(c: Customer, amount = '10.00') {
  const created = await call('top-up', 'POST /api/v1/wallet/top-ups', '/api/v1/wallet/top-ups', {
    method: 'POST',
    expect: [201],
    headers: apiHeaders(c, { 'content-type': 'application/json', 'idempotency-key': randomUUID() }),
    body: JSON.stringify({ amount }),
  });
  const t = JSON.parse(created.text) as { id: string; status: string; approve_url: string | null };
  if (!t.approve_url) return fail(`top-up: ${t.status}, no approval URL`);
  const approved = await call('top-up', 'GET paypal checkoutnow?outcome=approve', `${t.approve_url}&outcome=approve`, {
    expect: [302],
  });
  const back = approved.headers.get('location');
  if (!back) return fail('top-up: the emulator sent the buyer nowhere');
  if (c.topUps++ % 2 === 0) {
    const r = await call(
      'top-up',
      `POST /api/v1/wallet/top-ups/:id/capture`,
      `/api/v1/wallet/top-ups/${t.id}/capture`,
      {
        method: 'POST',
        headers: apiHeaders(c, { 'idempotency-key': randomUUID() }),
      },
    );
    const status = (JSON.parse(r.text) as { status: string }).status;
    if (status !== 'completed') return fail(`top-up: captured as ${status}`);
  } else {
    const page = new URL(back, BASE);
    const r = await call('top-up', `GET ${page.pathname}`, `${page.pathname}${page.search}`, {
      headers: browserHeaders(c),
    });
    if (!r.text.includes('Payment complete')) return fail('top-up: the return page did not say "Payment complete"');
  }
  done('top-up');
}

let planId = '';
let serial = 0;

async function createServer(c: Customer, op = 'server'): Promise<string> {
  const r = await call(op, 'POST /api/v1/vps', '/api/v1/vps', {
    method: 'POST',
    expect: [201],
    headers: apiHeaders(c, { 'content-type': 'application/json', 'idempotency-key': randomUUID() }),
    body: JSON.stringify({ label: `soak-${c.n}-${++serial}`, region: 'us-east', plan_id: planId, image: 'debian12' }),
  });
  return (JSON.parse(r.text) as { id: string }).id;
}

/** Server churn: a customer with fewer than two extra servers creates one; otherwise the oldest, once running, is deleted. */
async function serverChurn(c: Customer) {
  if (c.extra.length < 2) {
    const id = await createServer(c);
    c.extra.push({ id, at: Date.now() });
    done('server create');
    return;
  }
  const oldest = c.extra[0]!;
  const r = await call('server', 'GET /api/v1/vps/:id', `/api/v1/vps/${oldest.id}`, { headers: apiHeaders(c) });
  const status = (JSON.parse(r.text) as { status: string }).status;
  if (status !== 'running') {
    if (Date.now() - oldest.at > 120_000) fail(`server: still ${status} after 2 minutes`);
    return;
  }
  c.extra.shift();
  await call('server', 'DELETE /api/v1/vps/:id', `/api/v1/vps/${oldest.id}`, {
    method: 'DELETE',
    expect: [202],
    headers: apiHeaders(c),
  });
  done('server delete');
}

async function waitRunning(c: Customer, id: string) {
  const end = Date.now() + 120_000;
  for (;;) {
    const r = await call('setup', 'GET /api/v1/vps/:id', `/api/v1/vps/${id}`, { headers: apiHeaders(c) });
    if ((JSON.parse(r.text) as { status: string }).status === 'running') return;
    if (Date.now() > end) throw new Error(`server ${id} not running after 2 minutes`);
    await sleep(500);
  }
}

// A console: ticket, socket, a command and its output, then closed by the customer.
let consoles = 0;
async function consoleSession(c: Customer) {
  const mode = consoles++ % 2 === 0 ? 'lish' : 'ssh';
  const op = `console (${mode})`;
  const ticket = await call(op, 'POST /vps/:id/console/tickets', `/vps/${c.resident}/console/tickets`, {
    method: 'POST',
    expect: [201],
    headers: browserHeaders(c, { 'content-type': 'application/json', 'x-csrf-token': c.csrf }),
    body: JSON.stringify({ mode }),
  });
  const started = performance.now();
  const ws = new WebSocket(`${BASE.replace('http', 'ws')}/console/socket`, { origin: BASE });
  let output = '';
  let closed: string | null = null;
  const changed: Array<() => void> = [];
  ws.on('message', (data: Buffer, binary) => {
    if (binary) output = (output + data.toString('utf8')).slice(-4096);
    else {
      const m = JSON.parse(data.toString('utf8')) as { type: string; code?: string; message?: string };
      if (m.type === 'error') closed = `${m.code}: ${m.message}`;
    }
    for (const w of changed.splice(0)) w();
  });
  ws.on('close', (code, reason) => {
    closed ??= `closed ${code} ${reason.toString()}`;
    for (const w of changed.splice(0)) w();
  });
  ws.on('error', (err) => {
    closed ??= err.message;
    for (const w of changed.splice(0)) w();
  });
  const until = async (ok: () => boolean, what: string) => {
    const end = Date.now() + 15_000;
    while (!ok()) {
      if (closed !== null) throw new Error(`${what}: ${closed}`);
      if (Date.now() > end) throw new Error(`${what}: timed out`);
      await new Promise<void>((resolve) => {
        changed.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(
      JSON.stringify({
        type: 'auth',
        ticket: (JSON.parse(ticket.text) as { ticket: string }).ticket,
        cols: 100,
        rows: 30,
      }),
    );
    if (mode === 'ssh') {
      await until(() => output.includes('login as: '), 'the SSH login prompt');
      ws.send(Buffer.from('root\r'), { binary: true });
      await until(() => output.includes('password'), 'the SSH password prompt');
      ws.send(Buffer.from('demo\r'), { binary: true });
    }
    const word = `soak${consoles}x${Math.floor(Math.random() * 1e6)}`;
    // The shell may still be starting: the command is typed once something has arrived.
    await until(() => output.length > 0 && /[#$] ?$/.test(output.trimEnd() + ' '), 'a prompt');
    ws.send(Buffer.from(`echo ${word}\r`), { binary: true });
    await until(() => output.split(word).length >= 3, 'the command output');
    consoleLatencies.push(performance.now() - started);
    await sleep(2_000 + Math.random() * 3_000);
    ws.close(1000);
    done(op);
  } catch (err) {
    fail(`${op}: ${(err as Error).message.slice(0, 120)}`);
    ws.terminate();
  }
}

// SSE subscribers, held open; a stream the server ends (every 4–5 minutes) is opened again.
const sse = { open: 0, events: 0, reconnects: 0, stopping: false, sockets: new Set<http.ClientRequest>() };
function subscribe(c: Customer) {
  if (sse.stopping) return;
  const req = http.get(`${BASE}/events`, {
    headers: { cookie: c.cookie, accept: 'text/event-stream', 'sec-fetch-site': 'same-origin' },
  });
  sse.sockets.add(req);
  let opened = false;
  req.on('response', (res) => {
    if (res.statusCode !== 200) {
      // Counted, and tried again a little later, as EventSource does.
      fail(`sse: GET /events → ${res.statusCode}`);
      res.resume();
      sse.sockets.delete(req);
      setTimeout(() => subscribe(c), 3000 + Math.random() * 2000);
      return;
    }
    opened = true;
    sse.open++;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.startsWith('event: ') && line !== 'event: ready') sse.events++;
    });
    res.on('end', () => {
      sse.open--;
      sse.sockets.delete(req);
      if (sse.stopping) return;
      sse.reconnects++;
      setTimeout(() => subscribe(c), 500 + Math.random() * 1000);
    });
  });
  req.on('error', (err) => {
    sse.sockets.delete(req);
    if (sse.stopping) return;
    if (opened) sse.open--;
    fail(`sse: ${(err as Error & { code?: string }).code ?? err.message}`);
    setTimeout(() => subscribe(c), 1000);
  });
}

// ---------------------------------------------------------------------------------------------
// The app process.

interface App {
  child: ChildProcess;
  url: string;
  metricsUrl: string;
  /** The app's inspector (loopback): /json/list names its WebSocket. */
  inspectUrl: string;
  exited: Promise<number | null>;
  logErrors: string[];
  logWarnings: string[];
}

async function startApp(databaseUrl: string): Promise<App> {
  const [port, metricsPort, inspectPort] = [await freePort(), await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    TRUSTED_PROXY_COUNT: '0',
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    MAIL_TRANSPORT: 'outbox',
    EMULATORS_ENABLED: 'true',
    EMULATORS_IN_PRODUCTION: EMULATORS_IN_PRODUCTION_CONSENT,
    DEFAULT_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
    BCRYPT_COST: '10',
    // All customers come from 127.0.0.1: per-address limits high enough for the mix (still counted).
    RATE_LIMIT_ANONYMOUS: '1000000',
    RATE_LIMIT_AUTHENTICATED: '1000000',
    RATE_LIMIT_ADMIN: '1000000',
    RATE_LIMIT_AUTH_ACTIONS: '10000',
    METRICS_PORT: String(metricsPort),
  };
  // The inspector on loopback: the soak asks it for a full garbage collection at the two points
  // RSS growth is measured (nothing else attaches; an idle inspector costs nothing per request).
  const child = spawn(process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, ...COMMAND], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logErrors: string[] = [];
  const logWarnings: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = (stream: NodeJS.ReadableStream) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const line of parts) {
        if (!line.trim() || /^(Debugger (listening|attached|ending)|For help, see|Waiting for the debugger)/.test(line))
          continue;
        let level = 50;
        let msg = line;
        try {
          const j = JSON.parse(line) as { level?: number; msg?: string; err?: string };
          level = j.level ?? 30;
          msg = `${j.msg ?? ''}${j.err ? `: ${j.err}` : ''}`;
        } catch {
          // Not a log line (a crash's stack trace, say): counted as an error.
        }
        if (level >= 50) {
          logErrors.push(msg);
          fail(`app log: ${msg.slice(0, 100)}`);
        } else if (level >= 40) logWarnings.push(msg);
      }
    });
  };
  lines(child.stdout!);
  lines(child.stderr!);
  const end = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}) while starting`);
    const ok = await fetch(`${url}/ready`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > end) throw new Error('the app was not ready within 2 minutes');
    await sleep(250);
  }
  return {
    child,
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    inspectUrl: `http://127.0.0.1:${inspectPort}`,
    exited,
    logErrors,
    logWarnings,
  };
}

/** CPU seconds the process has used (user + system, Linux /proc). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The app's memory once garbage is gone: a full collection asked of its inspector
 * (HeapProfiler.collectGarbage), then its RSS and the heap V8 still uses. RSS sampled at
 * random moments swings by tens of MB with the collector's timing; after a full collection it
 * tracks what the process keeps.
 */
async function settledMemory(app: App, snapshot?: string): Promise<{ rss: number; heap: number }> {
  const [target] = (await (await fetch(`${app.inspectUrl}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string;
  }>;
  const ws = new WebSocket(target!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 0;
  const ask = (method: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++next;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in 30 s`)), 30_000);
      const onMessage = (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as { id?: number; result?: Record<string, unknown> };
        if (m.id !== id) return;
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(m.result ?? {});
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method }));
    });
  try {
    await ask('HeapProfiler.collectGarbage');
    const usage = (await ask('Runtime.getHeapUsage')) as { usedSize: number };
    const memory = { rss: rssOf(app.child.pid!), heap: usage.usedSize };
    if (snapshot) {
      // SOAK_HEAP_SNAPSHOTS=1: the heap as it is now, for DevTools' Comparison view.
      mkdirSync(path.dirname(snapshot), { recursive: true });
      const out = createWriteStream(snapshot);
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as { method?: string; params?: { chunk: string } };
        if (m.method === 'HeapProfiler.addHeapSnapshotChunk') out.write(m.params!.chunk);
      });
      await ask('HeapProfiler.takeHeapSnapshot');
      await new Promise<void>((resolve) => out.end(resolve));
      log(`heap snapshot: ${path.relative(process.cwd(), snapshot)}`);
    }
    return memory;
  } finally {
    ws.close();
  }
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** One series of the app's /metrics (the internal listener), NaN when absent. */
async function metricOf(metricsUrl: string, name: string): Promise<number> {
  const text = await fetch(metricsUrl)
    .then((r) => r.text())
    .catch(() => '');
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}
const heapOf = (metricsUrl: string) => metricOf(metricsUrl, 'nodejs_heap_size_used_bytes');

/**
 * Once the load has stopped and the customers closed their consoles: nothing left behind — no
 * console open in the app (its gauge and the console_sessions rows), and the app holding
 * exactly the SSE streams the subscribers still have open. Each mismatch is an error.
 */
async function leftovers(app: App, db: ReturnType<typeof createDb>): Promise<string> {
  let found = { gauge: NaN, rows: NaN, streams: NaN };
  const end = Date.now() + 10_000;
  for (;;) {
    const rows = await db
      .selectFrom('console_sessions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    found = {
      gauge: await metricOf(app.metricsUrl, 'skypanel_console_sessions'),
      rows: Number(rows.n),
      streams: await metricOf(app.metricsUrl, 'skypanel_sse_subscribers'),
    };
    if ((found.gauge === 0 && found.rows === 0 && found.streams === sse.open) || Date.now() > end) break;
    await sleep(500);
  }
  if (found.gauge !== 0) fail(`leak: the app reports ${found.gauge} consoles open after all were closed`);
  if (found.rows !== 0) fail(`leak: ${found.rows} console_sessions rows after all consoles were closed`);
  if (found.streams !== sse.open) fail(`leak: the app holds ${found.streams} SSE streams, the subscribers ${sse.open}`);
  return `consoles open in the app ${found.gauge}, console_sessions rows ${found.rows}; SSE streams held by the app ${found.streams}, by the subscribers ${sse.open}`;
}

// ---------------------------------------------------------------------------------------------
// The run.

const stops: Array<() => Promise<unknown>> = [];
async function shutdown() {
  for (const stop of stops.splice(0).reverse())
    await stop().catch((err: Error) => console.error(`shutdown step failed: ${err.message}`));
}
process.once('SIGINT', () => void shutdown().then(() => process.exit(130)));
process.once('SIGTERM', () => void shutdown().then(() => process.exit(143)));

async function main() {
  if (!TSX) {
    log('building if the build is missing or stale (node scripts/build.mjs --if-stale)');
    const built = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('the build failed');
  }
  const postgres = await scratchPostgres(55482, stops, log);
  log(`starting the app: node ${COMMAND.join(' ')} (NODE_ENV=production, web and jobs, demo emulators)`);
  const app = await startApp(postgres.url);
  BASE = app.url;
  stops.push(async () => {
    if (app.child.exitCode === null) app.child.kill('SIGTERM');
    const code = await Promise.race([app.exited, sleep(25_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') app.child.kill('SIGKILL');
    log(`app stopped (exit code ${code})`);
  });
  const db = createDb(postgres.url, 2);
  stops.push(() => db.destroy());
  const boss = createBoss(postgres.url, { schedule: false, supervise: false });
  boss.on('error', (err: Error) => fail(`pg-boss client: ${err.message}`));
  await boss.start();
  stops.push(() => boss.stop({ graceful: false, wait: true }));

  // Customers: registered and signed in through the forms, a token from the API, funded by a
  // PayPal top-up, each with a resident server (for its page, its API reads and its consoles).
  const customers: Customer[] = [];
  for (let n = 1; n <= CUSTOMERS; n++) {
    const user = { name: `Soak Customer ${n}`, email: `soak.${n}@example.test`, password: 'soaking all day long' };
    const cookie = await signUpAndIn(BASE, COOKIE, user);
    const page = await call('setup', 'GET /dashboard', '/dashboard', { headers: { cookie } });
    const tokenAnswer = await call('setup', 'POST /api/v1/auth/tokens', '/api/v1/auth/tokens', {
      method: 'POST',
      expect: [201],
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    customers.push({
      n,
      ...user,
      cookie,
      csrf: csrfOf(page.text) ?? '',
      token: (JSON.parse(tokenAnswer.text) as { token: string }).token,
      resident: '',
      extra: [],
      topUps: 0,
    });
  }
  const plans = JSON.parse(
    (await call('setup', 'GET /api/v1/plans', '/api/v1/plans?region=us-east', { headers: apiHeaders(customers[0]!) }))
      .text,
  ) as { data: Array<{ id: string; name: string }> };
  planId = (plans.data.find((p) => p.name.startsWith('Starter')) ?? plans.data[0]!).id;
  for (const c of customers) {
    await topUp(c, '100.00');
    c.resident = await createServer(c, 'setup');
  }
  for (const c of customers) await waitRunning(c, c.resident);
  for (let i = 0; i < SSE_SUBSCRIBERS; i++) subscribe(customers[i % customers.length]!);
  stops.push(async () => {
    sse.stopping = true;
    for (const req of sse.sockets) req.destroy();
  });
  const setupErrors = total.errorCount;
  if (setupErrors) throw new Error(`setup failed with ${setupErrors} errors`);
  window = new Figures();
  total.latencies.length = 0;
  total.requests = 0;
  total.ops.clear();
  consoleLatencies.length = 0;
  byOp.clear();

  log(
    `${CUSTOMERS} customers, each with a resident server; ${SSE_SUBSCRIBERS} SSE subscribers; ` +
      `${RATE} operations/s for ${MINUTES} min (warm-up ${WARMUP_MS / 1000} s); a console every ${CONSOLE_EVERY_MS / 1000} s; ` +
      `billing.hourly every ${BILLING_EVERY_MS / 1000} s`,
  );

  // The load: open loop, one operation per tick whatever the answers' pace.
  const started = Date.now();
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    const q = p.catch((err) => {
      if (!(err instanceof Refused)) fail(`unexpected: ${(err as Error).message.slice(0, 100)}`);
    });
    inFlight.add(q);
    void q.finally(() => inFlight.delete(q));
  };
  const weights = MIX.reduce((n, [, w]) => n + w, 0);
  let ticks = 0;
  const tick = setInterval(() => {
    // Catch up to the steady rate (timers drift); one operation per due tick.
    const due = Math.floor(((Date.now() - started) / 1000) * RATE) - ticks;
    for (let i = 0; i < due; i++) {
      ticks++;
      if (inFlight.size >= MAX_IN_FLIGHT) {
        fail('overload: too many operations in flight');
        continue;
      }
      const c = customers[ticks % customers.length]!;
      let r = Math.random() * weights;
      const [op] = MIX.find(([, w]) => (r -= w) < 0) ?? MIX[0]!;
      track(
        op === 'page'
          ? pageView(c)
          : op === 'api'
            ? apiCall(c)
            : op === 'sign-in'
              ? signIn(c)
              : op === 'top-up'
                ? topUp(c)
                : serverChurn(c),
      );
    }
  }, 10);
  let consoleTurn = 0;
  const consoleTimer = setInterval(
    () => track(consoleSession(customers[consoleTurn++ % customers.length]!)),
    CONSOLE_EVERY_MS,
  );
  const billingTimer = setInterval(() => track(billingRun(boss)), BILLING_EVERY_MS);

  // Samples: RSS every 5 s; a report every REPORT_MS.
  const samples: Array<{ t: number; rss: number }> = [];
  const sampler = setInterval(() => samples.push({ t: Date.now() - started, rss: rssOf(app.child.pid!) }), 5_000);
  let settledBaseline = null as { rss: number; heap: number } | null;
  const warmupTimer = setTimeout(() => {
    settledMemory(app, SNAPSHOTS ? path.resolve('.tmp/soak/warm-up.heapsnapshot') : undefined).then(
      (m) => {
        settledBaseline = m;
        log(`end of warm-up, after a full GC: RSS ${mb(m.rss)} MB, heap used ${mb(m.heap)} MB`);
      },
      (err: Error) => fail(`soak: no full GC at the end of the warm-up: ${err.message}`),
    );
  }, WARMUP_MS);
  header();
  let lastReport = started;
  let lastCpu = cpuOf(app.child.pid!);
  while (Date.now() - started < DURATION_MS) {
    await sleep(Math.min(REPORT_MS, DURATION_MS - (Date.now() - started)));
    const now = Date.now();
    const line = row(
      now - started,
      (now - lastReport) / 1000,
      window,
      rssOf(app.child.pid!),
      await heapOf(app.metricsUrl),
      cpuOf(app.child.pid!) - lastCpu,
    );
    lastCpu = cpuOf(app.child.pid!);
    console.log(line);
    for (const [kind, n] of window.errors) console.log(`      ${n} × ${kind}`);
    window = new Figures();
    lastReport = now;
  }
  // The end point is taken under the same load as the baseline, before it stops.
  const settledEnd = await settledMemory(app, SNAPSHOTS ? path.resolve('.tmp/soak/end.heapsnapshot') : undefined).catch(
    (err: Error) => {
      fail(`soak: no full GC at the end: ${err.message}`);
      return null;
    },
  );
  clearTimeout(warmupTimer);
  clearInterval(tick);
  clearInterval(consoleTimer);
  clearInterval(billingTimer);
  clearInterval(sampler);
  await Promise.race([Promise.all(inFlight), sleep(30_000)]);
  const elapsed = (Date.now() - started) / 1000;
  const left = await leftovers(app, db);

  // The figures. The target compares RSS after a full GC at the end of the warm-up and at the
  // end, both under load. Sampled RSS swings with the collector's timing (tens of MB within
  // seconds); its medians of a minute (or a quarter of the measured time if shorter), the first
  // after the warm-up and the last, are printed beside it.
  const after = samples.filter((s) => s.t >= WARMUP_MS);
  const span = Math.min(60_000, (DURATION_MS - WARMUP_MS) / 4);
  const median = (xs: number[]) => quantile(xs, 0.5);
  const baseline = median(after.filter((s) => s.t <= WARMUP_MS + span).map((s) => s.rss));
  const final = median(after.filter((s) => s.t >= DURATION_MS - span).map((s) => s.rss));
  const sampledGrowth = final / baseline - 1;
  const growth = settledBaseline && settledEnd ? settledEnd.rss / settledBaseline.rss - 1 : NaN;
  const heapGrowth = settledBaseline && settledEnd ? settledEnd.heap / settledBaseline.heap - 1 : NaN;
  const peak = Math.max(...after.map((s) => s.rss));
  const slope = slopeMbPerMinute(after);
  const problems = await checkLedgerInvariants(db);
  const billed = await db
    .selectFrom('billing_runs')
    .select((eb) => [eb.fn.countAll<string>().as('n')])
    .executeTakeFirst();
  const errors = total.errorCount;
  const pass = growth < RSS_TARGET && errors === 0 && problems.length === 0;

  const ops = [...total.ops].sort((a, b) => b[1] - a[1]);
  console.log(`
totals over ${elapsed.toFixed(0)} s: ${total.requests} requests (${(total.requests / elapsed).toFixed(1)}/s), p50 ${quantile(total.latencies, 0.5).toFixed(1)} ms, p99 ${quantile(total.latencies, 0.99).toFixed(1)} ms, max ${Math.max(...total.latencies).toFixed(0)} ms
operations: ${ops.map(([k, v]) => `${k} ${v}`).join(', ')}
requests by operation: ${[...byOp].map(([k, v]) => `${k} ${v.length} (p50 ${quantile(v, 0.5).toFixed(1)}, p99 ${quantile(v, 0.99).toFixed(1)} ms)`).join('; ')}
consoles: ${consoleLatencies.length} (open to command output p50 ${quantile(consoleLatencies, 0.5).toFixed(0)} ms, p99 ${quantile(consoleLatencies, 0.99).toFixed(0)} ms)
billing.hourly jobs: ${billingRuns.length} done (p50 ${quantile(billingRuns, 0.5).toFixed(0)} ms from send to completed); billing_runs rows: ${billed?.n ?? 0}
SSE: ${sse.open} streams open at the end of ${SSE_SUBSCRIBERS}, ${sse.events} events received, ${sse.reconnects} reconnects after the server ended a stream
app memory after a full GC: RSS ${mb(settledBaseline?.rss ?? NaN)} MB at the end of the warm-up, ${mb(settledEnd?.rss ?? NaN)} MB at the end: growth ${pct(growth)} (target < ${RSS_TARGET * 100}%); heap used ${mb(settledBaseline?.heap ?? NaN)} → ${mb(settledEnd?.heap ?? NaN)} MB (${pct(heapGrowth)})
app RSS sampled every 5 s (medians of ${span / 1000} s): ${mb(baseline)} MB after warm-up, ${mb(final)} MB at the end (${pct(sampledGrowth)}), peak ${mb(peak)} MB after warm-up, trend ${slope.toFixed(2)} MB/min
errors: ${errors}${errors ? '' : ' (target 0)'}${[...total.errors].map(([k, v]) => `\n  ${v} × ${k}`).join('')}
app log: ${app.logErrors.length} error lines, ${app.logWarnings.length} warnings${[...new Set(app.logWarnings)]
    .slice(0, 5)
    .map((w) => `\n  warn: ${w.slice(0, 160)}`)
    .join('')}
after the load: ${left}
${SNAPSHOTS ? 'heap snapshots taken (.tmp/soak/): the RSS figures include their cost and say nothing about growth\n' : ''}ledger invariants: ${problems.length ? `${problems.length} problems\n  ${problems.slice(0, 5).join('\n  ')}` : 'hold'}
Notes: one app process (node ${COMMAND.join(' ')}, NODE_ENV=production, jobs on); load generator in this process; ${os.cpus().length} CPUs shared with whatever else runs; Node ${process.version}.

${pass ? 'PASS' : 'FAIL'}: RSS growth after warm-up ${pct(growth)} (target < 10%: ${growth < RSS_TARGET ? 'met' : 'NOT met'}), ${errors} errors (target 0), ledger ${problems.length ? 'broken' : 'intact'}`);
}

/** `billing.hourly` sent as the schedule sends it (empty payload), then followed until the app's worker finished it. */
async function billingRun(boss: ReturnType<typeof createBoss>) {
  const started = performance.now();
  const id = await boss.send('billing.hourly', {});
  if (!id) return fail('billing: pg-boss refused the job');
  const end = Date.now() + 60_000;
  for (;;) {
    const job = await boss.getJobById('billing.hourly', id);
    if (job?.state === 'completed') break;
    if (job && (job.state === 'failed' || job.state === 'cancelled')) return fail(`billing: job ${job.state}`);
    if (Date.now() > end) return fail(`billing: job still ${job?.state ?? 'missing'} after 60 s`);
    await sleep(250);
  }
  billingRuns.push(performance.now() - started);
  done('billing run');
}

function slopeMbPerMinute(samples: Array<{ t: number; rss: number }>): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const mx = samples.reduce((s, p) => s + p.t, 0) / n;
  const my = samples.reduce((s, p) => s + p.rss, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.t - mx) * (p.rss - my);
    den += (p.t - mx) ** 2;
  }
  return den ? ((num / den) * 60_000) / 2 ** 20 : 0;
}

function header() {
  console.log(
    `\n${'time'.padStart(6)}  ${'req/s'.padStart(6)}  ${'ops/s'.padStart(6)}  ${'p50 ms'.padStart(7)}  ${'p99 ms'.padStart(7)}  ${'errors'.padStart(6)}  ${'RSS MB'.padStart(6)}  ${'heap MB'.padStart(7)}  ${'SSE'.padStart(4)}  ${'consoles'.padStart(8)}  ${'app CPU'.padStart(7)}  ${'load'.padStart(4)}`,
  );
}

function row(t: number, seconds: number, w: Figures, rss: number, heap: number, cpu: number) {
  let ops = 0;
  for (const v of w.ops.values()) ops += v;
  const consolesDone = [...w.ops].filter(([k]) => k.startsWith('console')).reduce((n, [, v]) => n + v, 0);
  const phase = t <= WARMUP_MS ? ' (warm-up)' : '';
  return `${`${Math.round(t / 1000)}s`.padStart(6)}  ${(w.requests / seconds).toFixed(1).padStart(6)}  ${(ops / seconds).toFixed(1).padStart(6)}  ${quantile(w.latencies, 0.5).toFixed(1).padStart(7)}  ${quantile(w.latencies, 0.99).toFixed(1).padStart(7)}  ${String(w.errorCount).padStart(6)}  ${mb(rss).padStart(6)}  ${mb(heap).padStart(7)}  ${String(sse.open).padStart(4)}  ${String(consolesDone).padStart(8)}  ${`${((cpu / seconds) * 100).toFixed(0)}%`.padStart(7)}  ${os.loadavg()[0]!.toFixed(1).padStart(4)}${phase}`;
}

const pct = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%` : '—');
const mb = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : '—');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

function log(message: string) {
  console.log(`[soak] ${message}`);
}

main()
  .then(shutdown)
  .then(() => process.exit(0))
  .catch(async (err: Error) => {
    console.error(`soak failed: ${err.stack ?? err.message}`);
    await shutdown();
    process.exit(1);
  });
