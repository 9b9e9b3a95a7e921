import { sql } from 'kysely';
import type { Db, DbOrTx } from '../db/index.ts';
import { queues, type QueueName } from '../queue/index.ts';

/**
 * The database reads GET /metrics makes, each small: they count only what is waiting (jobs not
 * finished, emails queued or failed) and run under a statement timeout (`bounded`).
 */

/** Jobs per queue not finished yet: `queued` (waiting, retries waiting their delay included) and `active` (being worked). */
export async function queueDepth(
  db: DbOrTx,
): Promise<Array<{ queue: QueueName; state: 'queued' | 'active'; jobs: number }>> {
  // pg-boss 10's job states are an enum ordered created < retry < active < completed < …
  const rows = await sql<{ name: QueueName; state: 'queued' | 'active'; jobs: number }>`
    select name, case when state = 'active' then 'active' else 'queued' end as state, count(*)::int as jobs
      from pgboss.job
     where state < 'completed' and name = any(${Object.keys(queues)}::text[])
     group by 1, 2`.execute(db);
  return rows.rows.map((r) => ({ queue: r.name, state: r.state, jobs: r.jobs }));
}

/** Emails waiting for delivery and emails that failed for good. */
export async function emailCounts(db: DbOrTx): Promise<{ queued: number; failed: number }> {
  const rows = await db
    .selectFrom('emails')
    .select(['status', (eb) => eb.fn.countAll().as('n')])
    .where('status', 'in', ['queued', 'failed'])
    .groupBy('status')
    .execute();
  const count = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
  return { queued: count('queued'), failed: count('failed') };
}

/**
 * Runs `fn` in a read-only transaction whose statements are cancelled after `ms`, and gives up
 * waiting after `ms` as well (a pool with no free connection must not hang a scrape).
 */
export async function bounded<T>(db: Db, ms: number, fn: (trx: DbOrTx) => Promise<T>): Promise<T> {
  const work = db
    .transaction()
    .setAccessMode('read only')
    .execute(async (trx) => {
      await sql`select set_config('statement_timeout', ${String(ms)}, true)`.execute(trx);
      return fn(trx);
    });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // Given up on, it still finishes (or is cancelled by the timeout) in the background: never unhandled.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
