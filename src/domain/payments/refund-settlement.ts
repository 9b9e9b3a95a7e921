import { inTransaction } from '../../db/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { toDecimal } from '../../lib/money.ts';
import { PayPalError } from '../../providers/paypal/client.ts';
import type { PayPalRefund } from '../../providers/paypal/types.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { wakeDunning } from '../dunning/lift.ts';
import { post } from '../ledger/post.ts';
import { mailRefundIssued } from '../notifications/billing-mail.ts';
import { refundMovesInto } from './refund-status.ts';
import type { Refund } from './refunds.ts';
import { paymentMove } from './status.ts';

/**
 * Settling refunds to PayPal (refunds.ts issues them; states in refund-status.ts): PayPal is
 * asked with the refund's own request id (PayPal refunds once per id, so asking again is safe),
 * and its answer is recorded — COMPLETED completes the row and grows `payments.refunded_amount`,
 * PENDING keeps waiting with PayPal's id, a final refusal fails the row and puts the money back
 * into the wallet (`refund-reversal:<refundId>`), once.
 */
type RefundDeps = Pick<Deps, 'db' | 'clock' | 'log' | 'paypal' | 'config' | 'queue'>;

/**
 * Brings a pending PayPal refund up to date: without PayPal's id yet, the refund call again
 * (same request id); with it, PayPal's current state. Safe to repeat; staff and jobs may call it.
 * A `PAYMENT.CAPTURE.REFUNDED` notice for one of our refunds can call it too.
 */
export async function syncRefund(deps: RefundDeps, refundId: string): Promise<Refund> {
  if (!isUuid(refundId)) throw new NotFoundError('No such refund.');
  const refund = await deps.db.selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirst();
  if (!refund) throw new NotFoundError('No such refund.');
  if (refund.status !== 'pending') return refund;
  const payment = await deps.db
    .selectFrom('payments')
    .select(['capture_id', 'currency'])
    .where('id', '=', refund.payment_id)
    .executeTakeFirstOrThrow();
  if (refund.provider_refund_id) {
    if (!deps.paypal) return refund;
    try {
      return await settle(deps, refund, await deps.paypal.getRefund(refund.provider_refund_id));
    } catch (err) {
      if (err instanceof PayPalError && err.retryable) return refund;
      throw err;
    }
  }
  return askPayPal(deps, refund, payment.capture_id!, payment.currency);
}

/** Staff's "check again" for a refund (platform admins only). */
export async function retryRefund(deps: RefundDeps, actor: Actor, refundId: string): Promise<Refund> {
  requirePlatformAdmin(actor);
  return syncRefund(deps, refundId);
}

/** Asks PayPal to make a pending refund (again: same request id) and records its answer; without PayPal it stays pending. */
export async function askPayPal(
  deps: RefundDeps,
  refund: Refund,
  captureId: string,
  currency: string,
): Promise<Refund> {
  const paypal = deps.paypal;
  if (!paypal) return refund;
  let answer: PayPalRefund;
  try {
    answer = await paypal.refundCapture(captureId, {
      amount: toDecimal(refund.amount, 2),
      currency,
      requestId: refund.request_id,
      invoiceId: `refund-${refund.id}`,
    });
  } catch (err) {
    if (err instanceof PayPalError && !err.retryable) return fail(deps, refund.id, err.message);
    // PayPal did not answer (or not yet): the refund stays pending; a retry with the same id is safe.
    deps.log.warn(
      { refund_id: refund.id, err: err instanceof Error ? err.message : String(err) },
      'paypal refund not confirmed; left pending',
    );
    return await deps.db.selectFrom('refunds').selectAll().where('id', '=', refund.id).executeTakeFirstOrThrow();
  }
  return settle(deps, refund, answer);
}

/** Records what PayPal says of a refund: COMPLETED, PENDING (keep waiting), or FAILED/CANCELLED. */
async function settle(deps: RefundDeps, refund: Refund, answer: PayPalRefund): Promise<Refund> {
  if (answer.status === 'FAILED' || answer.status === 'CANCELLED')
    return fail(
      deps,
      refund.id,
      `PayPal ${answer.status.toLowerCase()} the refund${answer.status_details?.reason ? ` (${answer.status_details.reason})` : ''}`,
      answer.id,
    );
  return inTransaction(deps.db, async (trx) => {
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', refund.payment_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const now = deps.clock.now();
    if (answer.status !== 'COMPLETED') {
      const row = await trx
        .updateTable('refunds')
        .set({ provider_refund_id: answer.id })
        .where('id', '=', refund.id)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst();
      return row ?? (await trx.selectFrom('refunds').selectAll().where('id', '=', refund.id).executeTakeFirstOrThrow());
    }
    const done = await trx
      .updateTable('refunds')
      .set({ status: 'completed', provider_refund_id: answer.id, completed_at: now, failure_reason: null })
      .where('id', '=', refund.id)
      .where('status', 'in', refundMovesInto('completed'))
      .returningAll()
      .executeTakeFirst();
    if (!done) return trx.selectFrom('refunds').selectAll().where('id', '=', refund.id).executeTakeFirstOrThrow();
    // PayPal gave the money back: it counts against the capture from now on (never past it).
    const refunded =
      payment.refunded_amount + refund.amount > payment.amount
        ? payment.amount
        : payment.refunded_amount + refund.amount;
    await trx
      .updateTable('payments')
      .set({
        refunded_amount: refunded,
        status: paymentMove(
          payment.status,
          refunded === payment.amount && payment.status === 'completed' ? 'refunded' : payment.status,
        ),
        updated_at: now,
      })
      .where('id', '=', payment.id)
      .execute();
    const mail = { organizationId: payment.organization_id, amount: done.amount, destination: 'paypal' as const };
    await mailRefundIssued(deps, trx, mail);
    return done;
  });
}

/** PayPal refused for good: the row fails and the money goes back into the wallet, once. */
async function fail(deps: RefundDeps, refundId: string, reason: string, providerRefundId?: string): Promise<Refund> {
  return inTransaction(deps.db, async (trx) => {
    const failed = await trx
      .updateTable('refunds')
      .set({
        status: 'failed',
        failure_reason: reason.slice(0, 500),
        ...(providerRefundId ? { provider_refund_id: providerRefundId } : {}),
      })
      .where('id', '=', refundId)
      .where('status', 'in', refundMovesInto('failed'))
      .returningAll()
      .executeTakeFirst();
    if (!failed) return trx.selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirstOrThrow();
    const payment = await trx
      .selectFrom('payments')
      .select(['id', 'organization_id', 'currency'])
      .where('id', '=', failed.payment_id)
      .executeTakeFirstOrThrow();
    const wallet = await trx
      .selectFrom('wallets')
      .select('id')
      .where('organization_id', '=', payment.organization_id)
      .executeTakeFirstOrThrow();
    await post(trx, {
      idempotencyKey: `refund-reversal:${failed.id}`,
      kind: 'refund',
      organizationId: payment.organization_id,
      currency: payment.currency,
      description: 'Refund to PayPal failed: money returned to the wallet',
      lines: [
        { walletId: wallet.id, amount: failed.amount },
        { account: 'refunds', amount: -failed.amount },
      ],
      details: { payment_id: payment.id, refund_id: failed.id },
    });
    await wakeDunning(deps, trx, payment.organization_id);
    await recordActivity(trx, {
      action: 'admin.refund_failed',
      actorUserId: failed.created_by,
      organizationId: payment.organization_id,
      target: { type: 'payment', id: payment.id },
      details: { refund_id: failed.id, amount: toDecimal(failed.amount, 2), reason: reason.slice(0, 200) },
      occurredAt: deps.clock.now(),
    });
    deps.log.warn({ refund_id: failed.id, reason }, 'paypal refund failed; money returned to the wallet');
    return failed;
  });
}
