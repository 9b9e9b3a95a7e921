import { inTransaction, type Tx } from '../../db/index.ts';
import type { PaymentStatus } from '../../db/types.ts';
import { parseMoney } from '../../lib/money.ts';
import type { PayPalRefund } from '../../providers/paypal/types.ts';
import type { Deps } from '../deps.ts';
import { post } from '../ledger/post.ts';
import { syncRefund } from './refund-settlement.ts';
import { stillHeld } from './refunds.ts';
import { CaptureMismatchError, type SettleOutcome } from './settlement.ts';
import { paymentMove } from './status.ts';

/**
 * Money PayPal gave back to the buyer without our refund flow: a chargeback
 * (`PAYMENT.CAPTURE.REVERSED`), a refund made in PayPal's own dashboard (a
 * `PAYMENT.CAPTURE.REFUNDED` that is not one of ours), or a capture that reads `REFUNDED`
 * when we look at it. Each is taken back from the wallet once (its own idempotency key), as a
 * `top_up_reversal` that may take the wallet into arrears (the money has already left), and
 * never for more than the wallet still holds of the payment:
 *
 *   held = amount − refunded_amount − Σ our pending refunds to PayPal
 *
 * (completed refunds are in `refunded_amount`; pending ones left the wallet when staff asked).
 * A refund as wallet credit took nothing out of the wallet, so it does not lessen what PayPal's
 * return takes back: `refunded_amount` stays what PayPal really gave back.
 *
 * Our pending refunds are settled with PayPal first (`confirmPendingRefunds`): one PayPal has
 * counts against what it returns (PayPal keeps refunds and reversals within the capture), and
 * one PayPal never received is refused now and its money goes back to the wallet — so
 * the return can take the whole of what is held without taking anything twice or leaving
 * money in the wallet that PayPal already gave back. While PayPal cannot say, nothing is taken
 * and the webhook asks PayPal to deliver again later.
 */

/** Payments whose top-up was credited: only those have anything to take back. */
const CREDITED: readonly PaymentStatus[] = ['completed', 'refunded', 'reversed'];

type Payment = {
  id: string;
  organization_id: string;
  amount: bigint;
  currency: string;
  status: PaymentStatus;
  refunded_amount: bigint;
};

/** Our refunds of a payment that PayPal has not confirmed receiving: a return must wait for them. */
export class RefundsUnconfirmedError extends Error {}

/**
 * Brings every pending refund of the payment to PayPal up to date (`syncRefund`). Throws
 * `RefundsUnconfirmedError` while one is still pending without PayPal's id: PayPal could not
 * tell us whether it has it, so what it returned cannot be told apart from it yet.
 */
export async function confirmPendingRefunds(
  deps: Pick<Deps, 'db' | 'clock' | 'log' | 'paypal' | 'config' | 'queue'>,
  paymentId: string,
): Promise<void> {
  const pending = await deps.db
    .selectFrom('refunds')
    .select('id')
    .where('payment_id', '=', paymentId)
    .where('destination', '=', 'paypal')
    .where('status', '=', 'pending')
    .execute();
  const after = await Promise.all(pending.map((r) => syncRefund(deps, r.id)));
  const unconfirmed = after.filter((r) => r.status === 'pending' && !r.provider_refund_id);
  if (unconfirmed.length)
    throw new RefundsUnconfirmedError(
      `PayPal has not confirmed refund ${unconfirmed.map((r) => r.id).join(', ')} of payment ${paymentId}; try again later`,
    );
}

export interface Return {
  /** The posting's idempotency key: one per thing PayPal did. */
  key: string;
  /** What PayPal says it gave back; null: everything (a capture that reads REFUNDED). */
  amount: bigint | null;
  /** The payment's status afterwards: `reversed` for a chargeback; `refunded` once all went back. */
  reversal: boolean;
  details: Record<string, string>;
}

/** Takes a return from the wallet (in the caller's transaction, payment row locked). */
export async function takeBack(
  trx: Tx,
  payment: Payment,
  walletId: string,
  r: Return,
  now: Date,
): Promise<SettleOutcome> {
  const held = CREDITED.includes(payment.status) ? await stillHeld(trx, payment) : 0n;
  // PayPal gave back more than the wallet holds while a refund of ours is pending: that refund
  // cannot be at PayPal and will fail, returning its money. Wait for it rather than take too little.
  if (
    r.amount !== null &&
    r.amount > held &&
    held < payment.amount - payment.refunded_amount &&
    CREDITED.includes(payment.status)
  ) {
    throw new RefundsUnconfirmedError(
      `PayPal returned ${r.amount} of payment ${payment.id}, which holds ${held} beside pending refunds; try again once they are settled`,
    );
  }
  const due = r.amount !== null && r.amount < held ? r.amount : held;
  if (due <= 0n) return { status: payment.status, credited: false, balance: null };
  const posted = await post(trx, {
    idempotencyKey: r.key,
    kind: 'top_up_reversal',
    organizationId: payment.organization_id,
    currency: payment.currency,
    description: r.reversal ? 'PayPal reversed a top-up (chargeback)' : 'Top-up refunded in PayPal',
    allowNegative: true,
    lines: [
      { walletId, amount: -due },
      { account: 'paypal_clearing', amount: due },
    ],
    details: { payment_id: payment.id, ...r.details },
  });
  if (posted.duplicate)
    return { status: payment.status, credited: false, balance: posted.balances.get(walletId) ?? null };
  const refunded = payment.refunded_amount + due;
  const status = paymentMove(
    payment.status,
    r.reversal
      ? 'reversed'
      : refunded === payment.amount && payment.status === 'completed'
        ? 'refunded'
        : payment.status,
  );
  await trx
    .updateTable('payments')
    .set({ status, refunded_amount: refunded, updated_at: now })
    .where('id', '=', payment.id)
    .execute();
  return { status, credited: false, balance: posted.balances.get(walletId) ?? null };
}

/**
 * A chargeback or a refund made in PayPal's dashboard, as PayPal reports it (`refund` read back
 * from PayPal). Returns false when it is about no payment of ours.
 */
export async function takeBackReturn(
  deps: Pick<Deps, 'db' | 'clock' | 'log' | 'paypal' | 'config' | 'queue'>,
  input: { refund: PayPalRefund; kind: 'reversal' | 'refund' },
): Promise<boolean> {
  const { refund, kind } = input;
  const captureId = refund.links
    ?.find((l) => l.rel === 'up')
    ?.href.split('/')
    .pop();
  if (!captureId || refund.status !== 'COMPLETED') return false;
  const payment = await deps.db
    .selectFrom('payments')
    .select(['id', 'currency'])
    .where('capture_id', '=', captureId)
    .executeTakeFirst();
  if (!payment) return false;
  if (refund.amount && refund.amount.currency_code !== payment.currency)
    throw new CaptureMismatchError(
      `PayPal ${kind} ${refund.id} is in ${refund.amount.currency_code}, payment ${payment.id} in ${payment.currency}`,
    );
  await confirmPendingRefunds(deps, payment.id);
  return inTransaction(deps.db, async (trx) => {
    const locked = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', payment.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const wallet = await trx
      .selectFrom('wallets')
      .select('id')
      .where('organization_id', '=', locked.organization_id)
      .executeTakeFirstOrThrow();
    const amount = refund.amount ? parseMoney(refund.amount.value) : null;
    await takeBack(
      trx,
      locked,
      wallet.id,
      {
        key: kind === 'reversal' ? `paypal:reversed:${captureId}` : `paypal:refund:${refund.id}`,
        amount,
        reversal: kind === 'reversal',
        details: { capture_id: captureId, refund_id: refund.id },
      },
      deps.clock.now(),
    );
    return true;
  });
}
