import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';

/**
 * Brute-force limits (wrong passwords, wrong codes) in PostgreSQL, shared by every instance.
 * A key keeps the times of its recent attempts (`auth_attempts`), so a limit means exactly
 * "at most `limit` attempts in any `windowMs`": no fixed windows whose edge halves a lockout
 * or doubles the tries of someone who times them.
 *
 * An attempt is counted BEFORE the secret is checked, by one statement that counts and
 * decides together (`claimAttempt`): however many requests race, at most `limit` checks run.
 * The caller then forgets the attempt when it succeeded (`forgetAttempt`, `clearAttempts`).
 * The request rate limiter is separate (rate-limit.ts, `rate_limit_counters`).
 */
export type Claim = { allowed: true; count: number; at: Date } | { allowed: false; retryAfterSeconds: number };

/** Counts one attempt at `key` unless `limit` were made in the last `windowMs`; a refusal counts nothing. */
export async function claimAttempt(
  db: DbOrTx,
  key: string,
  limit: number,
  windowMs: number,
  now: Date,
): Promise<Claim> {
  const cutoff = new Date(now.getTime() - windowMs);
  // An attempt "now" is in the window (cutoff, now]; older ones are dropped as the row is rewritten.
  const row = await sql<{ count: number }>`
    insert into auth_attempts as a (key, attempts, updated_at) values (${key}, array[${now}::timestamptz], ${now})
    on conflict (key) do update
      set attempts = array(select t from unnest(a.attempts) t where t > ${cutoff} and t <= ${now} order by t) || ${now}::timestamptz,
          updated_at = ${now}
      where (select count(*) from unnest(a.attempts) t where t > ${cutoff} and t <= ${now}) < ${limit}
    returning cardinality(attempts) as count
  `.execute(db);
  if (row.rows[0]) return { allowed: true, count: row.rows[0].count, at: now };
  return { allowed: false, retryAfterSeconds: await secondsUntilFree(db, key, limit, windowMs, now) };
}

/**
 * Counts one attempt at `key` and returns how many were made in the last `windowMs`, never
 * refusing; only the newest `keep` are kept, so the answer is at most `keep`.
 */
export async function countAttempt(
  db: DbOrTx,
  key: string,
  keep: number,
  windowMs: number,
  now: Date,
): Promise<number> {
  const cutoff = new Date(now.getTime() - windowMs);
  const row = await sql<{ count: number }>`
    insert into auth_attempts as a (key, attempts, updated_at) values (${key}, array[${now}::timestamptz], ${now})
    on conflict (key) do update
      set attempts = array(
            select t from (select t from unnest(a.attempts) t where t > ${cutoff} and t <= ${now} order by t desc limit ${Math.max(0, keep - 1)}) recent order by t
          ) || ${now}::timestamptz,
          updated_at = ${now}
    returning cardinality(attempts) as count
  `.execute(db);
  return row.rows[0]!.count;
}

/** Seconds until `key` accepts another attempt (at least 1). */
async function secondsUntilFree(db: DbOrTx, key: string, limit: number, windowMs: number, now: Date): Promise<number> {
  const row = await db.selectFrom('auth_attempts').select('attempts').where('key', '=', key).executeTakeFirst();
  const recent = (row?.attempts ?? [])
    .filter((t) => t.getTime() > now.getTime() - windowMs && t <= now)
    .sort((a, b) => a.getTime() - b.getTime());
  // The oldest attempt that keeps the count at the limit must leave the window first.
  const blocking = recent[recent.length - limit];
  if (!blocking) return 1;
  return Math.max(1, Math.ceil((blocking.getTime() + windowMs - now.getTime()) / 1000));
}

/** Takes back one attempt claimed at `at` (a success that should not count against the key). */
export async function forgetAttempt(db: DbOrTx, key: string, at: Date): Promise<void> {
  await sql`
    update auth_attempts
    set attempts = attempts[:array_position(attempts, ${at}::timestamptz) - 1] || attempts[array_position(attempts, ${at}::timestamptz) + 1:]
    where key = ${key} and ${at}::timestamptz = any(attempts)
  `.execute(db);
}

/** Forgets every attempt at `key` (a success, or staff lifting a lockout). */
export async function clearAttempts(db: DbOrTx, key: string): Promise<void> {
  await db.deleteFrom('auth_attempts').where('key', '=', key).execute();
}

/** Forgets every attempt at `key` and at the keys under it (`key:…`). */
export async function clearAttemptsUnder(db: DbOrTx, key: string): Promise<void> {
  await db
    .deleteFrom('auth_attempts')
    .where((eb) => eb.or([eb('key', '=', key), sql<boolean>`starts_with(key, ${`${key}:`})`]))
    .execute();
}

/** Deletes keys with no attempt in the last day (longer than any limit's window); returns how many. */
export async function purgeAttempts(db: DbOrTx, now: Date): Promise<number> {
  const res = await db
    .deleteFrom('auth_attempts')
    .where('updated_at', '<', new Date(now.getTime() - 24 * 3_600_000))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
