import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseMoney, toDecimal } from '../../lib/money.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { wakeDunning } from '../dunning/lift.ts';
import { post } from '../ledger/post.ts';

/**
 * Manual wallet adjustments by platform staff (issue 4 item 12, BILLING.md "When a wallet may
 * go below zero"): one ledger transaction of kind `adjustment` — wallet ± / platform
 * `adjustments` ∓ — keyed by the adjustment's id, so a form submitted twice (same hidden id)
 * or an API retry posts once. Debits respect zero unless the admin explicitly allows going
 * negative (`InsufficientFundsError`, 422, nothing written). Audited in the same transaction.
 */
export const adjustmentInput = z.object({
  adjustment_id: z.uuid({ error: 'This form has expired. Reload the page and try again.' }),
  direction: z.enum(['credit', 'debit'], { error: 'Choose credit or debit.' }),
  amount: z.string({ error: 'Enter an amount.' }).trim().min(1, 'Enter an amount.'),
  reason: z
    .string({ error: 'Say why.' })
    .trim()
    .min(1, 'Say why: the reason is kept with the adjustment.')
    .max(500, 'Keep the reason under 500 characters.'),
  allow_negative: z.boolean().default(false),
});
export type AdjustmentInput = z.input<typeof adjustmentInput>;

export interface Adjustment {
  /** The adjustment id (also the ledger idempotency key's suffix). */
  id: string;
  transactionId: string;
  balance: bigint;
  currency: string;
  duplicate: boolean;
}

/** A fresh adjustment id for a form to carry (a double submit then posts once). */
export const newAdjustmentId = () => randomUUID();

/** Adjusts organization `organizationId`'s wallet by `values` (the adjustment form or API body). */
export async function adjustWallet(
  deps: Pick<Deps, 'db' | 'clock' | 'queue'>,
  actor: Actor,
  { organizationId, values }: { organizationId: string; values: AdjustmentInput },
): Promise<Adjustment> {
  requirePlatformAdmin(actor);
  const input = parseInput(adjustmentInput, values);
  const micros = parseMoney(input.amount, 6);
  if (micros === null || micros <= 0n)
    throw new ValidationError({ amount: 'Enter a positive amount like 10.00 (at most 6 decimals).' });
  if (!isUuid(organizationId)) throw new NotFoundError('No such organization.');
  const wallet = await deps.db
    .selectFrom('wallets')
    .select(['id', 'currency'])
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  if (!wallet) throw new NotFoundError('No such organization.');
  const currency = wallet.currency;
  const signed = input.direction === 'credit' ? micros : -micros;
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const posted = await post(trx, {
      idempotencyKey: `adjustment:${input.adjustment_id}`,
      kind: 'adjustment',
      organizationId,
      currency,
      description: `${input.direction === 'credit' ? 'Credit' : 'Debit'} by staff: ${input.reason}`,
      allowNegative: input.direction === 'debit' && input.allow_negative,
      createdBy: actor.userId,
      details: { adjustment_id: input.adjustment_id, direction: input.direction, reason: input.reason },
      lines: [
        { walletId: wallet.id, amount: signed },
        { account: 'adjustments', amount: -signed },
      ],
    });
    if (!posted.duplicate) {
      await wakeDunning(deps, trx, organizationId);
      await recordActivity(trx, {
        action: 'admin.wallet_adjusted',
        actorUserId: actor.userId,
        organizationId,
        target: { type: 'organization', id: organizationId },
        origin: actor.origin,
        occurredAt: now,
        details: {
          amount: toDecimal(micros, 6).replace(/(\.\d\d\d*?)0+$/, '$1'),
          currency,
          direction: input.direction,
          reason: input.reason,
          allow_negative: input.direction === 'debit' && input.allow_negative,
        },
      });
    }
    return {
      id: input.adjustment_id,
      transactionId: posted.transactionId,
      balance: posted.balances.get(wallet.id) ?? 0n,
      currency,
      duplicate: posted.duplicate,
    };
  });
}
