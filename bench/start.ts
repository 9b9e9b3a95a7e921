/**
 * A start-up report: how long the compiled app takes from process start to its first 200 on
 * `/ready`, and how much memory it holds once idle. `npm run bench:start`.
 *
 *   external    DATABASE_URL points at a PostgreSQL that is already running (started here
 *               first, outside the measured process) and already migrated    target ≤ 1 s
 *   embedded    no DATABASE_URL: the app starts its own embedded PostgreSQL, whose data
 *               directory an earlier start initialised                        target ≤ 2.5 s
 *   idle RSS    VmRSS of the app process (not PostgreSQL's) a few seconds after it is ready
 *                                                                             target ≤ 120 MB
 *
 * The app runs as a container does (NODE_ENV=production, built assets, no emulators) with
 * `node dist/src/main.js`, built first when the build is missing or stale. `--tsx` runs the
 * TypeScript sources through tsx instead (the way `npm start` used to), for comparison;
 * `--runs=N` (default 3) measures each start N times and reports the median.
 * Everything lives in a temporary directory removed at the end. Exit code 0 whether the
 * targets are met or not: it is a report, not a gate.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { ROOT_DIR } from '../src/paths.ts';

const TARGET = { externalMs: 1000, embeddedMs: 2500, rssMb: 120 };
const IDLE_MS = 5000;
const tsx = process.argv.includes('--tsx');
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 3);
const command = tsx ? ['--import', 'tsx', 'src/main.ts'] : ['dist/src/main.js'];

const work = mkdtempSync(path.join(os.tmpdir(), 'skypanel-bench-start-'));
// Readable by all: as root, the embedded PostgreSQL runs as the postgres user and keeps its data here.
chmodSync(work, 0o755);
const key = randomBytes(32).toString('hex');
const running = new Set<ChildProcess>();
const stops: Array<() => Promise<unknown>> = [];

async function cleanup() {
  for (const child of running) child.kill('SIGKILL');
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

interface Started {
  child: ChildProcess;
  readyMs: number;
  output: () => string;
}

/** Spawns the app and resolves when `/ready` first answers 200, with the time that took. */
async function start(env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(process.execPath, command, {
    cwd: ROOT_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? work,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      ENCRYPTION_KEY: key,
      MAIL_TRANSPORT: 'outbox',
      DEFAULT_ADMIN_PASSWORD: 'bench-start-admin-password',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the app exited before it was ready:\n${output}`);
    const status = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return { child, readyMs: performance.now() - began, output: () => output };
    if (performance.now() - began > 120_000) throw new Error(`not ready after 2 minutes:\n${output}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  running.delete(child);
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) / 1024;
}

/** Measures `runs` starts; the last one also stays idle for a while to read its RSS. */
async function measure(env: Record<string, string>): Promise<{ ms: number[]; rss: number }> {
  const ms: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const app = await start(env);
    ms.push(app.readyMs);
    if (i === runs - 1) {
      await new Promise((r) => setTimeout(r, IDLE_MS));
      rss = rssMb(app.child.pid!);
    }
    await stop(app.child);
  }
  return { ms, rss };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');
const log = (message: string) => console.log(`[bench:start] ${message}`);

async function main() {
  if (!tsx) {
    log('building if the build is missing or stale (node scripts/build.mjs --if-stale)');
    const built = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT_DIR, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('the build failed');
  }
  log(`measuring \`node ${command.join(' ')}\`, ${runs} run(s) each, in ${work}`);

  // 1. A PostgreSQL already running, outside the measured process, migrated by a first start.
  const postgres = await startEmbeddedPostgres(path.join(work, 'external'), 0, { durable: false });
  stops.push(() => postgres.stop());
  const external = { DATABASE_URL: postgres.url };
  const first = await start(external);
  log(`external PostgreSQL, first start (migrations, first admin): ${first.readyMs.toFixed(0)} ms`);
  await stop(first.child);
  const ext = await measure(external);
  log(`external PostgreSQL, later starts: ${ext.ms.map((m) => m.toFixed(0)).join(', ')} ms`);
  await postgres.stop();
  stops.pop();

  // 2. The app's own embedded PostgreSQL, initialised by a first start.
  const embedded = { EMBEDDED_PG_DIR: path.join(work, 'app', 'postgres') };
  const init = await start(embedded);
  log(`embedded PostgreSQL, first start (initdb, migrations): ${init.readyMs.toFixed(0)} ms`);
  await stop(init.child);
  const emb = await measure(embedded);
  log(`embedded PostgreSQL, later starts: ${emb.ms.map((m) => m.toFixed(0)).join(', ')} ms`);

  const rows: Array<[string, string, string, boolean]> = [
    [
      'start → /ready 200, DATABASE_URL',
      `${median(ext.ms).toFixed(0)} ms`,
      `≤ ${TARGET.externalMs} ms`,
      median(ext.ms) <= TARGET.externalMs,
    ],
    [
      'start → /ready 200, embedded (initialised)',
      `${median(emb.ms).toFixed(0)} ms`,
      `≤ ${TARGET.embeddedMs} ms`,
      median(emb.ms) <= TARGET.embeddedMs,
    ],
    [
      `idle RSS ${IDLE_MS / 1000} s after ready, DATABASE_URL`,
      `${ext.rss.toFixed(0)} MB`,
      `≤ ${TARGET.rssMb} MB`,
      ext.rss <= TARGET.rssMb,
    ],
    [
      `idle RSS ${IDLE_MS / 1000} s after ready, embedded`,
      `${emb.rss.toFixed(0)} MB`,
      `≤ ${TARGET.rssMb} MB`,
      emb.rss <= TARGET.rssMb,
    ],
  ];
  console.log('');
  console.log(`${'measure'.padEnd(46)} ${'median'.padStart(9)}  ${'target'.padEnd(10)}`);
  for (const [name, value, target, ok] of rows)
    console.log(`${name.padEnd(46)} ${value.padStart(9)}  ${target.padEnd(10)} ${verdict(ok)}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

main().then(
  () => cleanup(),
  async (err: Error) => {
    console.error(`bench:start failed: ${err.stack ?? err.message}`);
    await cleanup();
    process.exitCode = 1;
  },
);
