import { sql, type Expression } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import type { LedgerKind } from '../../db/types.ts';
import { dayIn, startOfDay } from '../activity/dates.ts';
import type { Wallet } from './wallet.ts';

/**
 * What an organization spent: usage charges net of their refunds (SPEND_KINDS), as positive
 * amounts. Top-ups, their reversals, refunds to PayPal and adjustments move money but are not
 * spend. Months are UTC calendar months (as the monthly caps in BILLING.md); the daily series
 * uses the viewer's days. The figures are read here (`walletSummary`, the API) and by
 * overview.ts (the /billing page, in one statement): both add up `spendRows`.
 */
export const SPEND_KINDS: readonly LedgerKind[] = [
  'vps_charge',
  'vps_refund',
  'egress_charge',
  'hosting_charge',
  'hosting_refund',
];

export interface WalletSummary {
  spentThisMonth: bigint;
  spentAllTime: bigint;
  lastTopUp: { transactionId: string; amount: bigint; at: Date } | null;
}

/** The wallet's spend lines as rows `(created_at, amount)`, amount positive for spend: the one definition every figure adds up. */
export const spendRows = (walletId: Expression<string>) => sql`
  select t.created_at, -e.amount as amount
    from ledger_entries e
    join ledger_transactions t on t.id = e.transaction_id
   where e.wallet_id = ${walletId} and t.kind in (${sql.join(SPEND_KINDS)})`;

/** The wallet's last top-up credited, as at most one row `(id, amount, created_at)`. */
export const lastTopUpRow = (walletId: Expression<string>) => sql`
  select t.id, e.amount, t.created_at
    from ledger_entries e
    join ledger_transactions t on t.id = e.transaction_id
   where e.wallet_id = ${walletId} and t.kind = 'top_up'
   order by e.seq desc
   limit 1`;

/** The first instant of `now`'s UTC calendar month: "this month" of the spend figures. */
export const monthStartOf = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/** This month's and all-time spend, and the last top-up credited: one statement. */
export async function walletSummary(db: DbOrTx, wallet: Wallet, now: Date): Promise<WalletSummary> {
  const { rows } = await sql<{
    month: bigint;
    total: bigint;
    top_up_id: string | null;
    top_up_amount: bigint | null;
    top_up_at: Date | null;
  }>`
    select f.month, f.total, top.id as top_up_id, top.amount as top_up_amount, top.created_at as top_up_at
      from (select coalesce(sum(amount) filter (where created_at >= ${monthStartOf(now)}), 0)::bigint as month,
                   coalesce(sum(amount), 0)::bigint as total
              from (${spendRows(sql.val(wallet.id))}) s) f
      left join lateral (${lastTopUpRow(sql.val(wallet.id))}) top on true`.execute(db);
  return summaryOf(rows[0]!);
}

/** The figures of a row with `month`, `total` and `top_up_*` columns (walletSummary's, overview's). */
export function summaryOf(r: {
  month: bigint;
  total: bigint;
  top_up_id: string | null;
  top_up_amount: bigint | null;
  top_up_at: Date | null;
}): WalletSummary {
  return {
    spentThisMonth: r.month,
    spentAllTime: r.total,
    lastTopUp: r.top_up_id ? { transactionId: r.top_up_id, amount: r.top_up_amount!, at: r.top_up_at! } : null,
  };
}

export interface SpendDays {
  /** The days' names (`YYYY-MM-DD`), oldest first. */
  names: readonly string[];
  /** When the first begins and the day after the last begins, in `timeZone`. */
  from: Date;
  until: Date;
}

/**
 * The `days` viewer's days up to and including today in `timeZone`. Kept per time zone and
 * day (working out where 30 days begin in a zone cost a quarter of the billing page's CPU),
 * and the latest per time zone with the instants today spans, so that a view within the same
 * day does not even name today (a date formatting each). The result is shared: read-only.
 */
export function spendDays(now: Date, timeZone: string, days = 30): SpendDays {
  const t = now.getTime();
  const zoneKey = `${timeZone} ${days}`;
  const latest = spendDaysLatest.get(zoneKey);
  if (latest && t >= latest.todayFrom && t < latest.days.until.getTime()) return latest.days;
  const today = dayIn(now, timeZone);
  const key = `${timeZone} ${today} ${days}`;
  let d = spendDaysKept.get(key);
  if (!d) {
    const first = dayIn(startOfDay(today, timeZone, -(days - 1)), timeZone);
    d = Object.freeze({
      names: Object.freeze(Array.from({ length: days }, (_, i) => dayIn(startOfDay(first, timeZone, i), timeZone))),
      from: startOfDay(first, timeZone),
      until: startOfDay(today, timeZone, 1),
    });
    if (spendDaysKept.size >= 1_000) spendDaysKept.clear();
    spendDaysKept.set(key, d);
  }
  if (spendDaysLatest.size >= 1_000) spendDaysLatest.clear();
  spendDaysLatest.set(zoneKey, { todayFrom: startOfDay(today, timeZone).getTime(), days: d });
  return d;
}
const spendDaysKept = new Map<string, SpendDays>();
const spendDaysLatest = new Map<string, { todayFrom: number; days: SpendDays }>();

/** Spend per named day, oldest first; days without spend are 0. */
export function spendSeries(
  names: readonly string[],
  rows: ReadonlyArray<{ day: string; amount: bigint }>,
): Array<{ day: string; amount: bigint }> {
  const byDay = new Map(rows.map((r) => [r.day, r.amount]));
  return names.map((day) => ({ day, amount: byDay.get(day) ?? 0n }));
}
