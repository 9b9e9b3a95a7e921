import { randomInt } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import type { Logger } from '../lib/log.ts';

/**
 * Whether a process is still alive, as PostgreSQL sees it. Every process holds one session
 * advisory lock, (NODE_LOCK_CLASS, its random key), on a connection of its own for as long as it
 * runs. PostgreSQL drops the lock the moment that connection ends (a clean stop, a crash, SIGKILL,
 * a lost container: the kernel closes the socket and the idle backend sees it at once), so work a
 * process holds is written with its key (`node_key` on job_runs and console_sessions), and
 * "is the process holding this still there?" is one look at pg_locks: no heartbeat to miss, no
 * timeout to wait out before another process takes the work over.
 *
 * If the connection itself is lost while the process lives (the database restarted), the lock is
 * gone too and other processes treat this one's work as abandoned. That is safe by design (every
 * job runs safely twice; a console's place is only a count); the connection is made again and the
 * same key taken back.
 */

export const NODE_LOCK_CLASS = 1_200_031;

export interface NodeLiveness {
  /** This process's key (1 … 2^31-1), written on the work it holds. */
  readonly key: number;
  /** Whether the lock is held right now (false while the connection is being made again). */
  held(): boolean;
  stop(): Promise<void>;
}

/** The SQL condition "the process with key `keyColumn` no longer holds its lock" (a null key: false). */
export function nodeGone(keyColumn: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(${keyColumn} is not null and not exists (
    select 1 from pg_locks l
     where l.locktype = 'advisory' and l.database = (select oid from pg_database where datname = current_database())
       and l.classid = ${NODE_LOCK_CLASS}::int::oid
       and l.objid = (${keyColumn})::int::oid and l.objsubid = 2 and l.granted))`;
}

/** Takes this process's lock on a connection of its own (a new key if another process holds that one). */
export async function holdLiveness(connectionString: string, log: Logger): Promise<NodeLiveness> {
  let key = randomInt(1, 2 ** 31 - 1);
  let client: pg.Client | null = null;
  let isHeld = false;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString, application_name: 'skypanel-liveness' });
    c.on('error', () => undefined);
    await c.connect();
    try {
      // A key already held belongs to another process (1 in 2^31 per process): draw again.
      for (;;) {
        const { rows } = await c.query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, $2::int) as ok', [
          NODE_LOCK_CLASS,
          key,
        ]);
        if (rows[0]!.ok) break;
        key = randomInt(1, 2 ** 31 - 1);
      }
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    client = c;
    isHeld = true;
    c.once('end', () => {
      isHeld = false;
      client = null;
      if (stopped) return;
      log.warn({ key }, 'liveness connection lost; taking the lock again');
      again();
    });
  };
  const again = () => {
    retry = setTimeout(() => {
      retry = null;
      if (!stopped) connect().catch(() => again());
    }, 1_000);
    retry.unref();
  };

  await connect();
  return {
    get key() {
      return key;
    },
    held: () => isHeld,
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await (client as pg.Client | null)?.end().catch(() => undefined);
    },
  };
}
