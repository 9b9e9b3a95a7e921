import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { billingLag } from '../metering/runs.ts';

/** How far behind billing may fall before /ready fails: two hours (issue 12). */
export const MAX_BILLING_LAG_SECONDS = 2 * 3600;

/**
 * Whether hourly billing keeps up, for /ready. It reports the last clock hour a run billed to
 * the end and the lag (`billingLag`: now − the end of that hour, i.e. how long the hour after
 * it has gone unbilled; hours are billed at their start). It is late only when something is
 * owed: a server-hour that started more than two hours ago and that no succeeded run has
 * billed. A server owes from the hour after the later of its creation hour (charged at
 * create) and the last billed hour, while it existed then (not deleted before it; failed
 * creates owe nothing). So an install without servers, or whose servers all came after the
 * last run or went before it, is never late; one that never billed reports the lag from its
 * oldest owed hour.
 */
export async function billingReadiness(
  db: DbOrTx,
): Promise<{ lastBilledHour: Date | null; lagSeconds: number; late: boolean }> {
  const lag = await billingLag(db);
  const from = lag.lastBilledHour
    ? sql`${lag.lastBilledHour}::timestamptz + interval '1 hour'`
    : sql`'-infinity'::timestamptz`;
  const owed = sql`greatest(date_trunc('hour', s.created_at) + interval '1 hour', ${from})`;
  const row = await sql<{ late: boolean; owed_lag: string | null }>`
    select exists (
             select 1 from servers s
              where s.status <> 'failed'
                and ${owed} + interval '2 hours' < now()
                and coalesce(s.deleted_at, 'infinity') > ${owed}
           ) as late,
           ${
             lag.lastBilledHour
               ? sql`null::bigint`
               : sql`(select floor(extract(epoch from now() - min(${owed})))::bigint from servers s
                       where s.status <> 'failed' and coalesce(s.deleted_at, 'infinity') > ${owed} and ${owed} <= now())`
           } as owed_lag`
    .execute(db)
    .then((r) => r.rows[0]!);
  const lagSeconds = row.owed_lag === null ? lag.lagSeconds : Math.max(0, Number(row.owed_lag));
  return { lastBilledHour: lag.lastBilledHour, lagSeconds, late: row.late };
}
