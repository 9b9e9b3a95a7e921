import type { DbOrTx, Tx } from '../../db/index.ts';
import { ConflictError } from '../../lib/errors.ts';
import { insertInvoice } from './issue.ts';
import { buyerDetails, sellerDetails } from './parties.ts';

/**
 * Receipts (BILLING.md "Invoices"): one per completed top-up, issued in the same transaction
 * that credits the wallet, so a credited payment always has its receipt and a rolled-back
 * credit leaves neither (nor a used number).
 */
export interface ReceiptOptions {
  /** The seller's name when platform settings name none; default BRAND_NAME from the environment. */
  brandName?: string;
  /** Explicit issue date; default: the transaction's clock. */
  issuedAt?: Date;
}

/**
 * The receipt for completed payment `paymentId`, issued now, or the one issued before
 * (`payments.id` is unique among invoices: calling this twice is safe). Locks the payment row
 * so two concurrent callers for one payment issue a single receipt. A payment that is not
 * completed and has no receipt yet is refused (409).
 */
export async function issueReceipt(
  trx: Tx,
  paymentId: string,
  opts: ReceiptOptions = {},
): Promise<{ id: string; number: string }> {
  const payment = await trx
    .selectFrom('payments')
    .select(['id', 'organization_id', 'status', 'amount', 'currency', 'capture_id', 'completed_at'])
    .where('id', '=', paymentId)
    .forUpdate()
    .executeTakeFirstOrThrow(() => new Error(`issueReceipt: no payment ${paymentId}`));
  const existing = await trx
    .selectFrom('invoices')
    .select(['id', 'number'])
    .where('payment_id', '=', paymentId)
    .executeTakeFirst();
  if (existing) return existing;
  if (payment.status !== 'completed') throw new ConflictError('Only a completed payment gets a receipt.');

  return insertInvoice(trx, {
    organizationId: payment.organization_id,
    kind: 'receipt',
    currency: payment.currency,
    total: payment.amount,
    paymentId: payment.id,
    seller: await sellerDetails(trx, opts.brandName ?? defaultBrandName()),
    buyer: await buyerDetails(trx, payment.organization_id),
    lines: [
      {
        type: 'item',
        description: `Wallet top-up (PayPal capture ${payment.capture_id ?? 'unknown'})`,
        amount: payment.amount,
        date: payment.completed_at,
      },
    ],
    issuedAt: opts.issuedAt ?? null,
  });
}

/**
 * BRAND_NAME as config.ts reads it (same default). The receipt's signature is fixed by its
 * callers (`(trx, paymentId)`), which have no config at hand; they may pass `brandName`.
 */
function defaultBrandName(): string {
  return process.env.BRAND_NAME?.trim() || 'SkyPanel';
}

/** The receipt invoice of a payment, once issued (the return page and the transaction page link it). */
export async function receiptOf(db: DbOrTx, paymentId: string): Promise<{ id: string; number: string } | null> {
  return (
    (await db.selectFrom('invoices').select(['id', 'number']).where('payment_id', '=', paymentId).executeTakeFirst()) ??
    null
  );
}
