import { sql } from 'kysely';
import type { Tx } from '../../db/index.ts';
import { AppError } from '../../lib/errors.ts';
import { divRound, formatMoney } from '../../lib/money.ts';
import { InsufficientFundsError, post } from '../ledger/post.ts';

/**
 * A server's money at creation and deletion (BILLING.md "VPS hourly charges"). The hour a
 * server is created in is charged in the transaction that records it; each later hour is the
 * hourly job's (next issue). One `server_charges` row per (server, hour) ever, one refund row
 * per charge ever (`server_charge_refunds`' primary key), and ledger keys naming the same pair:
 *
 *   vps:charge:<server>:<hour ISO>   the charge, wallet → vps_revenue (guarded at creation)
 *   vps:refund:<server>:<hour ISO>   unused minutes at delete, or the whole charge when the
 *                                    provider refused the create; vps_revenue → wallet
 *
 * Hours and minutes are the database clock's (`now()`), never a worker's.
 */

const hourKey = (hour: Date) => hour.toISOString();

export interface FirstCharge {
  serverId: string;
  organizationId: string;
  walletId: string;
  hour: Date;
  /** The hourly rate in force at `hour` (backups included when on). */
  rate: bigint;
  currency: string;
  label: string;
  createdBy: string | null;
}

/**
 * Charges the creation hour (guarded: the balance must cover it). A first hour never reaches
 * the monthly cap, so the amount is the rate. A free plan records a zero charge, unposted.
 */
export async function chargeFirstHour(trx: Tx, c: FirstCharge): Promise<void> {
  let transactionId: string | null = null;
  if (c.rate > 0n) {
    try {
      const posted = await post(trx, {
        idempotencyKey: `vps:charge:${c.serverId}:${hourKey(c.hour)}`,
        kind: 'vps_charge',
        organizationId: c.organizationId,
        currency: c.currency,
        description: `Server ${c.label}: first hour`,
        lines: [
          { walletId: c.walletId, amount: -c.rate },
          { account: 'vps_revenue', amount: c.rate },
        ],
        createdBy: c.createdBy,
        details: { server_id: c.serverId, hour_start: hourKey(c.hour) },
      });
      transactionId = posted.transactionId;
    } catch (err) {
      if (!(err instanceof InsufficientFundsError)) throw err;
      const balance = await trx
        .selectFrom('wallets')
        .select('balance')
        .where('id', '=', c.walletId)
        .executeTakeFirstOrThrow();
      throw new InsufficientFundsError(
        `The wallet balance (${formatMoney(balance.balance, c.currency)}) does not cover the first hour of this server (${formatMoney(c.rate, c.currency, 4)}). Add funds and try again.`,
      );
    }
  }
  await trx
    .insertInto('server_charges')
    .values({
      server_id: c.serverId,
      hour_start: c.hour,
      organization_id: c.organizationId,
      amount: c.rate,
      rate: c.rate,
      currency: c.currency,
      ledger_transaction_id: transactionId,
    })
    .execute();
}

/** The organization's wallet, with its currency; a price in another currency cannot be paid from it. */
export async function walletOf(trx: Tx, organizationId: string, currency: string) {
  const wallet = await trx
    .selectFrom('wallets')
    .select(['id', 'balance', 'currency'])
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  if (wallet.currency !== currency)
    throw new AppError(
      'currency_mismatch',
      422,
      `This plan is priced in ${currency} and the wallet holds ${wallet.currency}: it cannot be bought from this wallet.`,
    );
  return wallet;
}

/**
 * Gives money of one charge back, once: the unused whole minutes of the current hour at
 * delete (`mode: 'unused'`: only when the current DB hour has a charge), or the whole first
 * charge when the provider refused the create (`mode: 'whole'`). Call with the server row
 * locked, so two deletes decide one after the other; the second finds the refund row and
 * gives nothing. Returns what was refunded now.
 */
export async function refundCharge(
  trx: Tx,
  server: { id: string; organization_id: string; label: string },
  mode: 'unused' | 'whole',
  createdBy: string | null,
): Promise<bigint> {
  const charge = await trx
    .selectFrom('server_charges as c')
    .leftJoin('server_charge_refunds as r', (j) =>
      j.onRef('r.server_id', '=', 'c.server_id').onRef('r.hour_start', '=', 'c.hour_start'),
    )
    .select([
      'c.hour_start',
      'c.amount',
      'c.currency',
      'r.amount as refunded',
      sql<number>`floor(extract(epoch from (c.hour_start + interval '1 hour' - now())) / 60)::int`.as('minutes_left'),
    ])
    .where('c.server_id', '=', server.id)
    .$call((q) =>
      mode === 'unused'
        ? q.where('c.hour_start', '=', sql<Date>`date_trunc('hour', now())`)
        : q.orderBy('c.hour_start', 'asc').limit(1),
    )
    .executeTakeFirst();
  if (!charge || charge.refunded !== null || charge.amount <= 0n) return 0n;
  const minutes = mode === 'whole' ? 60 : Math.min(60, Math.max(0, charge.minutes_left));
  if (minutes <= 0) return 0n;
  const raw = mode === 'whole' ? charge.amount : divRound(charge.amount * BigInt(minutes), 60n);
  const amount = raw > charge.amount ? charge.amount : raw;
  if (amount <= 0n) return 0n;
  const wallet = await trx
    .selectFrom('wallets')
    .select('id')
    .where('organization_id', '=', server.organization_id)
    .executeTakeFirstOrThrow();
  const posted = await post(trx, {
    idempotencyKey: `vps:refund:${server.id}:${hourKey(charge.hour_start)}`,
    kind: 'vps_refund',
    organizationId: server.organization_id,
    currency: charge.currency,
    description:
      mode === 'whole'
        ? `Server ${server.label}: first hour returned (not created)`
        : `Server ${server.label}: ${minutes} unused minutes refunded`,
    lines: [
      { walletId: wallet.id, amount },
      { account: 'vps_revenue', amount: -amount },
    ],
    createdBy,
    details: { server_id: server.id, hour_start: hourKey(charge.hour_start), minutes },
  });
  await trx
    .insertInto('server_charge_refunds')
    .values({
      server_id: server.id,
      hour_start: charge.hour_start,
      amount,
      minutes,
      ledger_transaction_id: posted.transactionId,
    })
    .execute();
  return amount;
}
