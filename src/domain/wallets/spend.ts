import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import type { LedgerKind } from '../../db/types.ts';
import { dayIn, startOfDay } from '../activity/dates.ts';
import type { Wallet } from './wallet.ts';

/**
 * What an organization spent: usage charges net of their refunds (SPEND_KINDS), as positive
 * amounts. Top-ups, their reversals, refunds to PayPal and adjustments move money but are not
 * spend. Months are UTC calendar months (as the monthly caps in BILLING.md); the daily series
 * uses the viewer's days.
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

/** This month's and all-time spend, and the last top-up credited. */
export async function walletSummary(db: DbOrTx, wallet: Wallet, now: Date): Promise<WalletSummary> {
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const spend = await db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
    .select([
      sql<bigint>`coalesce(sum(-e.amount) filter (where t.created_at >= ${monthStart}), 0)::bigint`.as('month'),
      sql<bigint>`coalesce(sum(-e.amount), 0)::bigint`.as('total'),
    ])
    .where('e.wallet_id', '=', wallet.id)
    .where('t.kind', 'in', SPEND_KINDS)
    .executeTakeFirstOrThrow();
  const last = await db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
    .select(['t.id', 'e.amount', 't.created_at'])
    .where('e.wallet_id', '=', wallet.id)
    .where('t.kind', '=', 'top_up')
    .orderBy('e.seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return {
    spentThisMonth: BigInt(spend.month),
    spentAllTime: BigInt(spend.total),
    lastTopUp: last ? { transactionId: last.id, amount: last.amount, at: last.created_at } : null,
  };
}

/** Spend per day for the `days` days up to and including today in `timeZone`, oldest first; days without spend are 0. */
export async function dailySpend(
  db: DbOrTx,
  wallet: Wallet,
  now: Date,
  timeZone: string,
  days = 30,
): Promise<Array<{ day: string; amount: bigint }>> {
  const today = dayIn(now, timeZone);
  const first = dayIn(startOfDay(today, timeZone, -(days - 1)), timeZone);
  const rows = await db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
    .select([
      sql<string>`to_char(t.created_at at time zone ${timeZone}, 'YYYY-MM-DD')`.as('day'),
      sql<bigint>`sum(-e.amount)::bigint`.as('amount'),
    ])
    .where('e.wallet_id', '=', wallet.id)
    .where('t.kind', 'in', SPEND_KINDS)
    .where('t.created_at', '>=', startOfDay(first, timeZone))
    .where('t.created_at', '<', startOfDay(today, timeZone, 1))
    .groupBy(sql`1`)
    .execute();
  const byDay = new Map(rows.map((r) => [r.day, BigInt(r.amount)]));
  return Array.from({ length: days }, (_, i) => {
    const d = dayIn(startOfDay(first, timeZone, i), timeZone);
    return { day: d, amount: byDay.get(d) ?? 0n };
  });
}
