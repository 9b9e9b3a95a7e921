import { inTransaction } from '../../db/index.ts';
import type { PaymentStatus } from '../../db/types.ts';
import { parseMoney } from '../../lib/money.ts';
import type { PayPalCapture } from '../../providers/paypal/types.ts';
import type { Deps } from '../deps.ts';
import { wakeDunning } from '../dunning/lift.ts';
import { issueReceipt, type ReceiptOptions } from '../invoices/receipts.ts';
import { post } from '../ledger/post.ts';
import { mailTopUpReceipt } from '../notifications/billing-mail.ts';
import { notifyTopUp } from '../notifications/emit.ts';
import { takeBack } from './paypal-returns.ts';
import { canMovePayment } from './status.ts';

/**
 * The one credit path for a PayPal capture (issue 4 item 5), used by the return page, the
 * explicit capture call and the webhook alike. It trusts only a capture read from PayPal,
 * checks it against what we stored when the order was created (organization, amount,
 * currency), and moves money with the capture id as the idempotency key — so however many
 * of those paths run, at once or again, a capture is credited exactly once. The payment's
 * states and the moves between them are in status.ts.
 *
 * Money PayPal gives back afterwards (chargebacks, refunds made in its dashboard, a capture that
 * reads REFUNDED) is taken back in paypal-returns.ts.
 */
export type SettleOutcome = { status: PaymentStatus; credited: boolean; balance: bigint | null };

export class CaptureMismatchError extends Error {}

/**
 * Settles a payment with the capture PayPal answered. Crediting it issues its receipt in the
 * same transaction (invoices/receipts.ts), with the platform's BRAND_NAME as the fallback
 * seller; `receipt` changes how it is issued (tests back-date receipts, nothing else does).
 */
export async function settleCapture(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'queue'>,
  input: { paymentId: string; capture: PayPalCapture; receipt?: ReceiptOptions },
): Promise<SettleOutcome> {
  const { capture } = input;
  const outcome = await inTransaction(deps.db, async (trx) => {
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', input.paymentId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const amount = parseMoney(capture.amount.value);
    if (capture.amount.currency_code !== payment.currency || amount !== payment.amount) {
      throw new CaptureMismatchError(
        `capture ${capture.id} is ${capture.amount.value} ${capture.amount.currency_code}, payment ${payment.id} expected ${payment.amount} micro-units ${payment.currency}`,
      );
    }
    if (capture.custom_id && capture.custom_id !== payment.organization_id) {
      throw new CaptureMismatchError(`capture ${capture.id} belongs to another organization`);
    }
    if (payment.capture_id && payment.capture_id !== capture.id)
      throw new CaptureMismatchError(`payment ${payment.id} already has capture ${payment.capture_id}`);
    const wallet = await trx
      .selectFrom('wallets')
      .select(['id'])
      .where('organization_id', '=', payment.organization_id)
      .executeTakeFirstOrThrow();
    const now = deps.clock.now();
    const set = (status: PaymentStatus, extra: Record<string, unknown> = {}) =>
      trx
        .updateTable('payments')
        .set({ status, capture_id: capture.id, updated_at: now, ...extra })
        .where('id', '=', payment.id)
        .execute();

    switch (capture.status) {
      case 'COMPLETED':
      case 'PARTIALLY_REFUNDED': {
        const posted = await post(trx, {
          idempotencyKey: `paypal:capture:${capture.id}`,
          kind: 'top_up',
          organizationId: payment.organization_id,
          currency: payment.currency,
          description: 'Wallet top-up via PayPal',
          lines: [
            { walletId: wallet.id, amount: payment.amount },
            { account: 'paypal_clearing', amount: -payment.amount },
          ],
          createdBy: payment.created_by,
          details: { payment_id: payment.id, capture_id: capture.id },
        });
        // From created or pending; from cancelled or denied when PayPal reports the capture
        // COMPLETED after all (status.ts): money that arrived is always credited.
        if (!posted.duplicate) {
          await set('completed', { completed_at: now, failure_reason: null });
          const receipt = await issueReceipt(trx, payment.id, { brandName: deps.config.BRAND_NAME, ...input.receipt });
          const mail = { organizationId: payment.organization_id, amount: payment.amount, invoice: receipt };
          await mailTopUpReceipt(deps, trx, mail);
          await notifyTopUp(trx, { ...mail, paymentId: payment.id, currency: payment.currency });
          await wakeDunning(deps, trx, payment.organization_id);
        }
        // Credited before: say what the payment is now (a later refund or reversal may have followed).
        return {
          status: posted.duplicate ? payment.status : 'completed',
          credited: !posted.duplicate,
          balance: posted.balances.get(wallet.id) ?? null,
        };
      }
      case 'PENDING': {
        const moves = canMovePayment(payment.status, 'pending');
        if (moves) await set('pending', { failure_reason: capture.status_details?.reason ?? null });
        return { status: moves ? 'pending' : payment.status, credited: false, balance: null };
      }
      case 'DECLINED':
      case 'FAILED': {
        const moves = canMovePayment(payment.status, 'denied');
        if (moves) await set('denied', { failure_reason: capture.status_details?.reason ?? capture.status });
        return { status: moves ? 'denied' : payment.status, credited: false, balance: null };
      }
      case 'REFUNDED':
        // Everything went back at PayPal (refunds we may not have heard of yet): what is still held
        // goes too. Callers confirm our pending refunds with PayPal first (confirmPendingRefunds).
        return takeBack(
          trx,
          payment,
          wallet.id,
          { key: `paypal:refunded:${capture.id}`, amount: null, reversal: false, details: { capture_id: capture.id } },
          now,
        );
    }
  });
  return outcome;
}
