import { sql } from 'kysely';
import { inTransaction, type Tx } from '../../db/index.ts';
import type { PaymentStatus } from '../../db/types.ts';
import { publish } from '../../db/notify.ts';
import { parseMoney } from '../../lib/money.ts';
import type { PayPalCapture } from '../../providers/paypal/types.ts';
import type { Deps } from '../deps.ts';
import { post } from '../ledger/post.ts';

/**
 * The one credit path for a PayPal capture (issue 4 item 5), used by the return page, the
 * explicit capture call and the webhook alike. It trusts only a capture read from PayPal,
 * checks it against what we stored when the order was created (organization, amount,
 * currency), and moves money with the capture id as the idempotency key — so however many
 * of those paths run, at once or again, a capture is credited exactly once.
 *
 * Payment states (payments.status):
 *   held → created (fraud review allowed it) | cancelled (blocked)
 *   created → pending | completed | denied | cancelled | failed
 *   pending → completed | denied
 *   completed → reversed (PayPal reversal/chargeback) | refunded (all refunded)
 */
export type SettleOutcome = { status: PaymentStatus; credited: boolean; balance: bigint | null };

export class CaptureMismatchError extends Error {}

/** Called inside the settling transaction when a capture is credited (receipts hook in here). */
export type OnCredited = (trx: Tx, paymentId: string) => Promise<void>;

export async function settleCapture(deps: Deps, paymentId: string, capture: PayPalCapture, onCredited?: OnCredited): Promise<SettleOutcome> {
  const outcome = await inTransaction(deps.db, async (trx) => {
    const payment = await trx.selectFrom('payments').selectAll().where('id', '=', paymentId).forUpdate().executeTakeFirstOrThrow();
    const amount = parseMoney(capture.amount.value);
    if (capture.amount.currency_code !== payment.currency || amount !== payment.amount) {
      throw new CaptureMismatchError(`capture ${capture.id} is ${capture.amount.value} ${capture.amount.currency_code}, payment ${payment.id} expected ${payment.amount} micro-units ${payment.currency}`);
    }
    if (capture.custom_id && capture.custom_id !== payment.organization_id) {
      throw new CaptureMismatchError(`capture ${capture.id} belongs to another organization`);
    }
    if (payment.capture_id && payment.capture_id !== capture.id) throw new CaptureMismatchError(`payment ${payment.id} already has capture ${payment.capture_id}`);
    const wallet = await trx.selectFrom('wallets').select(['id']).where('organization_id', '=', payment.organization_id).executeTakeFirstOrThrow();
    const now = deps.clock.now();
    const set = (status: PaymentStatus, extra: Record<string, unknown> = {}) =>
      trx.updateTable('payments').set({ status, capture_id: capture.id, updated_at: now, ...extra }).where('id', '=', payment.id).execute();

    switch (capture.status) {
      case 'COMPLETED':
      case 'PARTIALLY_REFUNDED': {
        const posted = await post(trx, {
          idempotencyKey: `paypal:capture:${capture.id}`,
          kind: 'top_up',
          organizationId: payment.organization_id,
          currency: payment.currency,
          description: 'Wallet top-up via PayPal',
          lines: [{ walletId: wallet.id, amount: payment.amount }, { account: 'paypal_clearing', amount: -payment.amount }],
          createdBy: payment.created_by,
          details: { payment_id: payment.id, capture_id: capture.id },
        });
        if (!posted.duplicate) {
          await set('completed', { completed_at: now, failure_reason: null });
          await onCredited?.(trx, payment.id);
          await publish(trx, { topic: 'wallet', audience: { organizationId: payment.organization_id }, data: { payment_id: payment.id } });
        }
        // Credited before: say what the payment is now (a later refund or reversal may have followed).
        return { status: posted.duplicate ? payment.status : 'completed', credited: !posted.duplicate, balance: posted.balances.get(wallet.id) ?? null };
      }
      case 'PENDING':
        if (payment.status === 'created') await set('pending', { failure_reason: capture.status_details?.reason ?? null });
        return { status: payment.status === 'created' ? 'pending' : payment.status, credited: false, balance: null };
      case 'DECLINED':
      case 'FAILED':
        if (payment.status === 'created' || payment.status === 'pending') await set('denied', { failure_reason: capture.status_details?.reason ?? capture.status });
        return { status: payment.status === 'created' || payment.status === 'pending' ? 'denied' : payment.status, credited: false, balance: null };
      case 'REFUNDED':
        return reverse(trx, payment, wallet.id, capture.id, 'refunded', now);
    }
  });
  return outcome;
}

/** Takes back money PayPal took back (a reversal, or a refund made outside SkyPanel). */
async function reverse(
  trx: Tx,
  payment: { id: string; organization_id: string; amount: bigint; currency: string; status: PaymentStatus; refunded_amount: bigint },
  walletId: string,
  captureId: string,
  status: 'refunded' | 'reversed',
  now: Date,
): Promise<SettleOutcome> {
  // Only what was credited and not already returned through our own refunds.
  const due = payment.status === 'completed' ? payment.amount - payment.refunded_amount : 0n;
  if (due <= 0n) return { status: payment.status, credited: false, balance: null };
  const posted = await post(trx, {
    idempotencyKey: `paypal:${status}:${captureId}`,
    kind: 'top_up_reversal',
    organizationId: payment.organization_id,
    currency: payment.currency,
    description: status === 'reversed' ? 'PayPal reversed a top-up' : 'Top-up refunded in PayPal',
    // The money has already left: this always posts, even into arrears.
    allowNegative: true,
    lines: [{ walletId, amount: -due }, { account: 'paypal_clearing', amount: due }],
    details: { payment_id: payment.id, capture_id: captureId },
  });
  await trx.updateTable('payments').set({ status, updated_at: now, refunded_amount: sql`amount` }).where('id', '=', payment.id).execute();
  return { status, credited: false, balance: posted.balances.get(walletId) ?? null };
}

/** A chargeback / reversal notice for a capture (webhook PAYMENT.CAPTURE.REVERSED). */
export async function reverseCapture(deps: Deps, captureId: string): Promise<SettleOutcome | null> {
  return inTransaction(deps.db, async (trx) => {
    const payment = await trx.selectFrom('payments').selectAll().where('capture_id', '=', captureId).forUpdate().executeTakeFirst();
    if (!payment) return null;
    const wallet = await trx.selectFrom('wallets').select('id').where('organization_id', '=', payment.organization_id).executeTakeFirstOrThrow();
    return reverse(trx, payment, wallet.id, captureId, 'reversed', deps.clock.now());
  });
}
