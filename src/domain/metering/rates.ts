import { divRound } from '../../lib/money.ts';

/**
 * Metering: turning time a resource existed into money (BILLING.md "VPS hourly charges").
 * The hourly charges will live in this folder: one charge per instance per started UTC clock
 * hour, `UNIQUE(instance_id, hour_start)`, capped at the monthly price per calendar month,
 * posted through the ledger with `(instance, hour)` as the idempotency key. For now it holds
 * the rate those charges are made at.
 */

/** Hours in a billing month (BILLING.md): the hourly rate is the monthly price / 730. */
export const HOURS_PER_MONTH = 730n;

/** The hourly rate of a monthly price, rounded once (half up, `divRound`) to the micro-unit. */
export function hourlyRate(monthly: bigint): bigint {
  return divRound(monthly, HOURS_PER_MONTH);
}
