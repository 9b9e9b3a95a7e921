import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// The app as an operator runs it (`npm start` = node --import tsx src/main.ts), in its own OS
// process with its own embedded PostgreSQL: a supervisor (Docker, systemd) restarts a process
// that exits non-zero, so every fatal error must end in a non-zero code.

const started: Array<{ child: ChildProcess; dir: string }> = [];
afterEach(() => {
  for (const { child, dir } of started.splice(0)) {
    child.kill('SIGKILL');
    const pid = postmasterPid(dir);
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

function startApp(
  env: Record<string, string>,
  reuse?: string,
  mode = 0o755,
): { child: ChildProcess; dir: string; exited: Promise<number | null>; output: () => string } {
  // Readable by all by default, so that as root the postgres user keeps the data here.
  const dir = reuse ?? mkdtempSync(path.join(os.tmpdir(), 'skypanel-process-'));
  chmodSync(dir, mode);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      // Production, as in a container: the assets the test run built, no rebuild at start.
      NODE_ENV: 'production',
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      MAIL_TRANSPORT: 'outbox',
      EMBEDDED_PG_DIR: path.join(dir, 'pg'),
      BCRYPT_COST: '4',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  started.push({ child, dir });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, dir, exited, output: () => output };
}

function postmasterPid(dir: string): number | null {
  const file = path.join(dir, 'pg', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function untilHealthy(port: number, exited: Promise<unknown>, output: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`the app exited before it was healthy:\n${output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Each test starts real processes (Node with tsx, PostgreSQL): slow on a loaded machine, hence the generous timeout.
describe('the app process', { timeout: 90_000 }, () => {
  it('exits non-zero when its port is taken, and takes its embedded database down with it', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)),
    );
    try {
      const app = startApp({ PORT: String(port) });
      expect(await app.exited).toBe(1);
      expect(app.output()).toMatch(/cannot listen on 127\.0\.0\.1:\d+/);
      // The database was started, then stopped cleanly (PostgreSQL removes its pid file on shutdown).
      expect(existsSync(path.join(app.dir, 'pg', 'PG_VERSION'))).toBe(true);
      expect(postmasterPid(app.dir)).toBeNull();
    } finally {
      blocker.close();
    }
  });

  it('exits non-zero when its embedded database dies under it', async () => {
    const port = await freePort();
    const app = startApp({ PORT: String(port) });
    await untilHealthy(port, app.exited, app.output);
    const pid = postmasterPid(app.dir);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/embedded PostgreSQL exited unexpectedly/);
  });

  it('exits non-zero when the configured database cannot be reached', async () => {
    const closed = await freePort();
    const app = startApp({
      PORT: String(await freePort()),
      DATABASE_URL: `postgres://nobody:nothing@127.0.0.1:${closed}/skypanel`,
    });
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/failed to start/);
    // DATABASE_URL set: the embedded server is never started.
    expect(existsSync(path.join(app.dir, 'pg'))).toBe(false);
  });

  it('exits non-zero on a bad configuration value, naming it', async () => {
    const app = startApp({ PORT: 'eighty' });
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/PORT/);
  });

  it('starts again on the data of an app that was killed, stopping the database it left behind', async () => {
    const port = await freePort();
    const first = startApp({ PORT: String(port) });
    await untilHealthy(port, first.exited, first.output);
    const orphan = postmasterPid(first.dir);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(alive(orphan!)).toBe(true);

    const second = startApp({ PORT: String(port) }, first.dir);
    await untilHealthy(port, second.exited, second.output);
    expect(alive(orphan!)).toBe(false);
    expect(second.output()).toMatch(/stopping the PostgreSQL \(pid \d+\) that a stopped process left running/);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('starts from a folder only its owner may enter (as root: a clone under /root), and stops cleanly', async () => {
    const port = await freePort();
    const app = startApp({ PORT: String(port), LOG_LEVEL: 'info' }, undefined, 0o700);
    await untilHealthy(port, app.exited, app.output);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    const moved = /its data is kept in (\S+?)"/.exec(app.output())?.[1];
    if (process.getuid?.() === 0) expect(moved).toMatch(/^\/var\/lib\/skypanel\/data\//);
    else expect(moved).toBeUndefined();
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    if (moved) rmSync(moved, { recursive: true, force: true });
  });

  it('stops cleanly with exit code 0 on SIGTERM, database included', async () => {
    const port = await freePort();
    const app = startApp({ PORT: String(port) });
    await untilHealthy(port, app.exited, app.output);
    const pid = postmasterPid(app.dir);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(alive(pid!)).toBe(false);
    expect(postmasterPid(app.dir)).toBeNull();
  });
});
