import { randomBytes } from 'node:crypto';
import type { Deps } from '../../src/domain/deps.ts';
import type { ReceiptOptions } from '../../src/domain/invoices/receipts.ts';
import { settleCapture } from '../../src/domain/payments/settlement.ts';
import { toDecimal } from '../../src/lib/money.ts';
import type { PayPalCapture } from '../../src/providers/paypal/types.ts';

export interface SettledTopUp {
  paymentId: string;
  captureId: string;
}

/**
 * A completed PayPal top-up made the way production makes one, for tests that need one
 * without a PayPal: the payment row as `startTopUp` stores it (`created`, with an order id),
 * then the production credit path, `settleCapture`, with the COMPLETED capture PayPal would
 * answer — the credit (`paypal:capture:<id>`), the payment completed and its receipt (issued
 * as the app issues it, or as `receipt` says), all in one transaction. Pass `deps` with `db` set to a transaction to make it part of a larger one.
 *
 * @example await settledTopUp(ctx.deps, org.id, 25_000_000n)
 */
export async function settledTopUp(
  deps: Deps,
  organizationId: string,
  amount: bigint,
  opts: { captureId?: string; createdBy?: string; receipt?: ReceiptOptions } = {},
): Promise<SettledTopUp> {
  if (amount % 10_000n !== 0n) throw new Error('PayPal captures whole cents');
  const captureId = opts.captureId ?? randomBytes(9).toString('hex').toUpperCase();
  const wallet = await deps.db
    .selectFrom('wallets')
    .select('currency')
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  const currency = wallet.currency;
  const payment = await deps.db
    .insertInto('payments')
    .values({
      organization_id: organizationId,
      created_by: opts.createdBy ?? null,
      amount,
      currency,
      status: 'created',
      provider_order_id: `ORDER-${captureId}`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const capture: PayPalCapture = {
    id: captureId,
    status: 'COMPLETED',
    amount: { currency_code: currency, value: toDecimal(amount, 2) },
    custom_id: organizationId,
    invoice_id: payment.id,
  };
  const settled = await settleCapture(deps, { paymentId: payment.id, capture, receipt: opts.receipt });
  if (!settled.credited) throw new Error(`top-up ${payment.id} was not credited`);
  return { paymentId: payment.id, captureId };
}
