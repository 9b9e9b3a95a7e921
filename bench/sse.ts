/**
 * Server-sent events at scale (issue 14 item 9): `npm run bench:sse`. One app process holds
 * 10,000 open `/events` streams (SSE_SUBSCRIBERS to change it); one event is published
 * through PostgreSQL (NOTIFY, as the domain publishes: src/db/notify.ts) and must reach every
 * stream. Printed: the time from the publish to the first and the last delivery, and the
 * app process's RSS before the streams, with them open and after the delivery. Targets: the
 * last delivery ≤ 1 s after the publish, RSS ≤ 500 MB.
 *
 * Everything runs here, on 127.0.0.1 only, and stops by itself: an embedded PostgreSQL in a
 * fresh `.tmp/bench-postgres-<pid>` (removed at the end), migrations, the services and app
 * `src/main.ts` runs (production settings, job workers off, rate limits raised so 10,000
 * streams from one person are not refused), one person signed in through the forms, and
 * their session used for every stream (as 10,000 tabs of one browser would; each stream is
 * still authenticated, authorised and subscribed on its own). The subscribers are raw HTTP
 * connections in a child process (this same file, `client`), so the load generator has its
 * own event loop and its own file descriptors.
 *
 * File descriptors: each process needs one per stream and some more. Node raises its soft
 * limit to the hard one by itself; when `ulimit -Hn` is below SSE_SUBSCRIBERS + 1,000 the
 * bench says so and stops (raise it, e.g. `ulimit -n 20000`, or run fewer subscribers). The
 * exit code is 0 whether the targets are met or not: it is a report, not a gate.
 */
import { serve, type ServerType } from '@hono/node-server';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { publish } from '../src/db/notify.ts';
import { createServices, startWeb } from '../src/services.ts';
import { loadManifest } from '../src/web/assets.ts';
import { scratchPostgres, signUpAndIn } from './harness.ts';

const SUBSCRIBERS = Number(process.env.SSE_SUBSCRIBERS ?? 10_000);
/** Streams opened at once by the client (the server's listen backlog is 511). */
const BATCH = 250;
const TARGET_MS = 1_000;
const TARGET_RSS_MB = 500;
const USER = { name: 'Bench Stream', email: 'bench.stream@example.test', password: 'benchmarking all day' };
const TOPIC = 'bench.ping';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across the two processes. */
const now = () => performance.timeOrigin + performance.now();
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

type FromClient =
  | { type: 'open'; streams: number; ms: number; failed: number }
  | { type: 'delivered'; count: number; first: number | null; last: number | null }
  | { type: 'error'; message: string };

if (process.argv[2] === 'client') client();
else main();

// ---------------------------------------------------------------------------------------------
// The app's side: PostgreSQL, the app, the publish, the report.

async function main() {
  const stops: Array<() => Promise<unknown>> = [];
  const shutdown = async () => {
    for (const stop of stops.splice(0).reverse())
      await stop().catch((err: Error) => console.error(`shutdown step failed: ${err.message}`));
  };
  process.once('SIGINT', () => void shutdown().then(() => process.exit(130)));
  process.once('SIGTERM', () => void shutdown().then(() => process.exit(143)));
  // The whole bench has five minutes; whatever happens, it stops.
  const deadline = setTimeout(() => {
    console.error('[bench:sse] took longer than 5 minutes: stopping');
    void shutdown().then(() => process.exit(1));
  }, 5 * 60_000);
  deadline.unref();

  try {
    const limit = openFileLimit();
    if (limit !== null && limit < SUBSCRIBERS + 1_000) {
      console.error(
        `[bench:sse] this process may open ${limit} files; ${SUBSCRIBERS} streams need about ${SUBSCRIBERS + 1_000}. ` +
          `Raise the limit (ulimit -n ${SUBSCRIBERS + 2_000}) or set SSE_SUBSCRIBERS lower.`,
      );
      process.exitCode = 1;
      return;
    }

    const postgres = await scratchPostgres(55472, stops, log);

    const config = loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
      DATABASE_URL: postgres.url,
      BCRYPT_COST: '10',
      RATE_LIMIT_ANONYMOUS: '1000000',
      RATE_LIMIT_AUTHENTICATED: '1000000',
      RATE_LIMIT_ADMIN: '1000000',
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      MAIL_TRANSPORT: 'outbox',
    });
    const services = await createServices(config, { databaseUrl: postgres.url, schedule: false });
    stops.push(() => services.stop({ graceful: false }));
    await migrateToLatest(services.db);
    const assets = loadManifest() ?? (await (await import('../scripts/build-assets.ts')).buildAssets());
    const deps = await startWeb(services, { assets });
    const app = createApp(deps);
    const { url, server } = await listen(app.fetch);
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );

    const cookie = await signUpAndIn(url, config.cookieName, USER);
    const user = await services.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', USER.email)
      .executeTakeFirstOrThrow();
    global.gc?.();
    const rssIdle = process.memoryUsage().rss;

    log(`opening ${SUBSCRIBERS} streams of GET /events from a child process, ${BATCH} at a time`);
    const child = fork(fileURLToPath(import.meta.url), ['client'], {
      env: { ...process.env, BENCH_URL: url, BENCH_COOKIE: cookie, SSE_SUBSCRIBERS: String(SUBSCRIBERS) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    stops.push(async () => {
      if (child.exitCode === null) child.kill();
    });
    const messages = inbox(child);

    const opened = await messages.next('open', 240_000);
    if (opened.type !== 'open') throw new Error('the client did not open its streams');
    await waitFor(() => deps.hub.subscriberCount >= opened.streams, 10_000);
    log(
      `${opened.streams} streams open in ${(opened.ms / 1000).toFixed(1)} s (${opened.failed} failed); ` +
        `the hub holds ${deps.hub.subscriberCount} subscribers`,
    );
    global.gc?.();
    const rssOpen = process.memoryUsage().rss;
    const heapOpen = process.memoryUsage().heapUsed;

    // The event: through PostgreSQL (NOTIFY from the pool, heard on the hub's LISTEN connection).
    const delivered = messages.next('delivered', 30_000);
    const published = now();
    await publish(services.db, { topic: TOPIC, audience: { userId: user.id }, data: { sent: published } });
    let rssPeak = process.memoryUsage().rss;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const result = await delivered;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    if (result.type !== 'delivered') throw new Error('the client reported no deliveries');
    child.send({ type: 'close' });

    const lastMs = result.last === null ? null : result.last - published;
    const firstMs = result.first === null ? null : result.first - published;
    const all = result.count === opened.streams && opened.streams === SUBSCRIBERS;
    const metTime = all && lastMs !== null && lastMs <= TARGET_MS;
    const metRss = rssPeak <= TARGET_RSS_MB * 1024 * 1024;
    console.log(`
subscribers (open streams)        ${opened.streams} of ${SUBSCRIBERS}
delivered                         ${result.count} of ${opened.streams}
publish → first delivery          ${firstMs === null ? '—' : `${firstMs.toFixed(1)} ms`}
publish → last delivery           ${lastMs === null ? '—' : `${lastMs.toFixed(1)} ms`}   target ≤ ${TARGET_MS} ms: ${metTime ? 'met' : 'NOT met'}
app RSS, no streams               ${mb(rssIdle)} MB
app RSS, streams open             ${mb(rssOpen)} MB (heap used ${mb(heapOpen)} MB; about ${((rssOpen - rssIdle) / 1024 / Math.max(1, opened.streams)).toFixed(1)} KB per stream)
app RSS, peak during delivery     ${mb(rssPeak)} MB   target ≤ ${TARGET_RSS_MB} MB: ${metRss ? 'met' : 'NOT met'}
Notes: NODE_ENV=production; one app process; subscribers in a child process on 127.0.0.1; ${os.cpus().length} CPUs; Node ${process.version}.`);
  } catch (err) {
    console.error(`[bench:sse] failed: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  } finally {
    await shutdown();
    clearTimeout(deadline);
  }
  process.exit();
}

/** The soft limit on open files of this process (Linux), or null where it cannot be read. */
function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined ? null : soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return null;
  }
}

/** Messages from the child, awaited by type. */
function inbox(child: ChildProcess) {
  const queue: FromClient[] = [];
  const waiting: Array<(m: FromClient) => void> = [];
  child.on('message', (m: FromClient) => {
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w({ type: 'error', message: `the client exited (${code})` });
  });
  return {
    next(type: FromClient['type'], ms: number): Promise<FromClient> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no '${type}' from the client in ${ms / 1000} s`)), ms);
        const take = (m: FromClient) => {
          clearTimeout(timer);
          if (m.type === 'error') reject(new Error(m.message));
          else resolve(m);
        };
        const queued = queue.shift();
        if (queued) take(queued);
        else waiting.push(take);
      });
    },
  };
}

async function listen(fetch: Parameters<typeof serve>[0]['fetch']) {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const http = server as ServerType & { closeAllConnections(): void; maxConnections?: number };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server: http };
}

async function waitFor(cond: () => boolean, ms: number) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function log(message: string) {
  console.log(`[bench:sse] ${message}`);
}

// ---------------------------------------------------------------------------------------------
// The subscribers' side: raw HTTP/1.1 connections reading the event stream.

function client() {
  const target = new URL(process.env.BENCH_URL!);
  if (target.hostname !== '127.0.0.1') throw new Error('the bench only connects to 127.0.0.1');
  const cookie = process.env.BENCH_COOKIE!;
  const total = Number(process.env.SSE_SUBSCRIBERS);
  const request =
    `GET /events HTTP/1.1\r\nHost: ${target.host}\r\nCookie: ${cookie}\r\n` +
    `Accept: text/event-stream\r\nSec-Fetch-Site: same-origin\r\nUser-Agent: bench-sse\r\n\r\n`;
  const sockets: net.Socket[] = [];
  let delivered = 0;
  let first: number | null = null;
  let last: number | null = null;
  const send = (m: FromClient) => process.send!(m);

  /** Opens one stream; resolves once its `ready` event arrived (false: it failed). */
  const open = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: Number(target.port) });
      let seen = '';
      let ready = false;
      let got = false;
      socket.setNoDelay(true);
      socket.on('connect', () => socket.write(request));
      socket.on('data', (chunk) => {
        const at = now();
        // Only the tail matters: frames are short, and a split frame is rejoined here.
        seen = (seen + chunk.toString('latin1')).slice(-512);
        if (!ready && seen.includes('event: ready')) {
          ready = true;
          resolve(true);
        }
        if (!got && seen.includes(`event: ${TOPIC}`)) {
          got = true;
          delivered++;
          first = first === null ? at : Math.min(first, at);
          last = last === null ? at : Math.max(last, at);
          if (delivered === sockets.length) send({ type: 'delivered', count: delivered, first, last });
        }
      });
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(ready));
      sockets.push(socket);
    });

  process.on('message', (m: { type: string }) => {
    if (m.type !== 'close') return;
    for (const s of sockets) s.destroy();
    process.exit(0);
  });

  void (async () => {
    const started = now();
    let failed = 0;
    for (let i = 0; i < total; i += BATCH) {
      const batch = await Promise.all(Array.from({ length: Math.min(BATCH, total - i) }, open));
      failed += batch.filter((ok) => !ok).length;
    }
    const live = sockets.filter((s) => !s.destroyed);
    sockets.splice(0, sockets.length, ...live);
    send({ type: 'open', streams: live.length, ms: now() - started, failed });
    // Nothing within 30 s: report what arrived.
    setTimeout(() => send({ type: 'delivered', count: delivered, first, last }), 30_000).unref();
  })().catch((err: Error) => send({ type: 'error', message: err.message }));
}
