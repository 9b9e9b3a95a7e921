import type { DbOrTx } from '../../db/index.ts';
import { hourlyRate } from '../metering/rates.ts';
import { monthlyOf, serverRows } from '../servers/view.ts';
import { walletSummary } from './spend.ts';
import type { Wallet } from './wallet.ts';

/**
 * An organization's billing at a glance (GET /api/v1/billing/summary; the portal's /billing cards
 * show the same figures, read with the rest of that page in overview.ts):
 * the balance, what was spent this UTC calendar month (usage net of refunds), the servers it
 * pays for and what they cost a month and an hour, and the runway: how many days the balance
 * lasts at the current burn.
 *
 * The burn is the hourly rate of every billed server (every live status: running, stopped and
 * suspended servers are charged alike) at today's prices. The monthly cap is ignored, so the
 * runway is never longer than the truth. The runway is null when nothing burns, 0 when the
 * balance is zero or below, else balance / (burn × 24) in days, rounded down to a tenth.
 */
export interface BillingSummary {
  balance: bigint;
  monthToDate: bigint;
  monthlyEstimate: bigint;
  hourlyBurn: bigint;
  /** Days, to one decimal, rounded down; null when nothing burns. */
  runwayDays: number | null;
  /** Servers running now. */
  activeServers: number;
  /** Servers billed every hour (running or not). */
  billedServers: number;
  currency: string;
}

/** The summary of `wallet` (the caller holds it, so `billing_view` was asked); `now` says which month. */
export async function billingSummary(db: DbOrTx, wallet: Wallet, now: Date): Promise<BillingSummary> {
  const [spend, rows] = await Promise.all([
    walletSummary(db, wallet, now),
    billedServerRows(db).where('s.organization_id', '=', wallet.organizationId).execute(),
  ]);
  const hourlyBurn = hourlyBurnOf(rows);
  return {
    balance: wallet.balance,
    monthToDate: spend.spentThisMonth,
    monthlyEstimate: rows.reduce((sum, r) => sum + monthlyOf(r), 0n),
    hourlyBurn,
    runwayDays: runwayDays(wallet.balance, hourlyBurn),
    activeServers: rows.filter((r) => r.status === 'running').length,
    billedServers: rows.length,
    currency: wallet.currency,
  };
}

/** Servers billed every hour (every live status), with their prices in force now; also read by notifications/reminders.ts. */
export function billedServerRows(db: DbOrTx) {
  return serverRows(db).where('s.status', 'not in', ['deleted', 'failed']);
}

/** The hourly burn of billed server rows: each server's hourly rate at today's prices (the monthly cap ignored). */
export function hourlyBurnOf(rows: Parameters<typeof monthlyOf>[0][]): bigint {
  return rows.reduce((sum, r) => sum + hourlyRate(monthlyOf(r)), 0n);
}

/** Days `balance` lasts at `hourlyBurn` per hour, in tenths rounded down; 0 at or below zero, null when nothing burns. */
export function runwayDays(balance: bigint, hourlyBurn: bigint): number | null {
  if (hourlyBurn <= 0n) return null;
  if (balance <= 0n) return 0;
  return Number((balance * 10n) / (hourlyBurn * 24n)) / 10;
}
