import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';

/**
 * Fixed-window counters in PostgreSQL (`rate_limit_counters`), shared by every instance.
 * Used for brute-force lockouts; the request rate limiter uses the same table.
 */
function windowStart(now: Date, windowMinutes: number): Date {
  const ms = windowMinutes * 60_000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

/** Adds one to `key` in the current window and returns the new count. */
export async function hitCounter(db: DbOrTx, key: string, windowMinutes: number, now: Date): Promise<number> {
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ key, window_start: windowStart(now, windowMinutes), count: 1 })
    .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql`rate_limit_counters.count + 1` }))
    .returning('count')
    .executeTakeFirstOrThrow();
  return row.count;
}

export async function readCounter(db: DbOrTx, key: string, windowMinutes: number, now: Date): Promise<number> {
  const row = await db
    .selectFrom('rate_limit_counters')
    .select('count')
    .where('key', '=', key)
    .where('window_start', '=', windowStart(now, windowMinutes))
    .executeTakeFirst();
  return row?.count ?? 0;
}

export async function clearCounter(db: DbOrTx, key: string): Promise<void> {
  await db.deleteFrom('rate_limit_counters').where('key', '=', key).execute();
}

/** Seconds until the current window of `windowMinutes` ends. */
export function secondsLeftInWindow(now: Date, windowMinutes: number): number {
  const end = windowStart(now, windowMinutes).getTime() + windowMinutes * 60_000;
  return Math.max(1, Math.ceil((end - now.getTime()) / 1000));
}
