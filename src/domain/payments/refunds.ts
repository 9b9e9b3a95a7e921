import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type Tx } from '../../db/index.ts';
import type { PaymentsTable, RefundsTable } from '../../db/types.ts';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { fieldErrors } from '../../lib/validation.ts';
import { parseMoney, toDecimal } from '../../lib/money.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import { InsufficientFundsError, post } from '../ledger/post.ts';
import type { Deps } from '../deps.ts';
import { wakeDunning } from '../dunning/lift.ts';
import { mailRefundIssued } from '../notifications/billing-mail.ts';
import { askPayPal } from './refund-settlement.ts';

/**
 * Staff refunds of a PayPal top-up (issue 4 items 13 and 15): issuing them. Platform admins
 * only. What PayPal then says of a refund is recorded by refund-settlement.ts; the refund's
 * states are in refund-status.ts.
 *
 * Two destinations:
 *   paypal — money goes back to the buyer's PayPal. The credited funds leave the wallet first
 *            (guarded: the balance must cover it, BILLING.md "When a wallet may go below zero"),
 *            the refund row is written `pending` with its PayPal-Request-Id and committed, and
 *            only then is PayPal asked (outside any transaction). COMPLETED → the row completes
 *            and `payments.refunded_amount` grows; PENDING → stays pending with PayPal's id
 *            (`syncRefund` completes it later); a final refusal → the row fails and a reversing
 *            posting (`refund-reversal:<refundId>`) puts the money back; PayPal not answering
 *            → stays pending, and a retry with the same request id (`syncRefund`, or
 *            `refundPayment` with the same `requestId`) is safe: PayPal refunds once per id.
 *   wallet — a credit note: the wallet gets `amount` from the platform `refunds` account at
 *            once (completed). PayPal keeps the captured money, so `refunded_amount` (what
 *            PayPal gave back) is unchanged.
 *
 * The cap (one rule for both): the refunds of a payment — PayPal and wallet, pending and
 * completed — plus whatever PayPal gave back outside SkyPanel never exceed the captured amount:
 *
 *   available = amount − refunded_amount − Σ pending PayPal refunds − Σ completed wallet refunds
 *
 * (completed PayPal refunds are already in `refunded_amount`). It is checked under a row lock
 * on the payment (SELECT … FOR UPDATE) in the transaction that inserts the refund row, so
 * concurrent requests for one capture queue on the lock and the later ones see the earlier
 * rows: one refund, the rest refused — or, with the same request id, answered with the first.
 */
export type Refund = Selectable<RefundsTable>;

export interface RefundResult {
  refund: Refund;
  /** true when the request id named an earlier refund: nothing new was done. */
  existing: boolean;
  /** The payment's currency, which the refund's amount is in. */
  currency: string;
}

const refundInput = z.object({
  paymentId: z.string().trim().refine(isUuid, 'No such payment.'),
  amount: z
    .string({ error: 'Enter an amount.' })
    .trim()
    .refine((v) => {
      const m = parseMoney(v, 2);
      return m !== null && m > 0n;
    }, 'Enter an amount above zero like 10 or 10.00 (at most 2 decimals).'),
  destination: z.enum(['paypal', 'wallet'], { error: 'Choose PayPal or wallet credit.' }),
  reason: z.string({ error: 'Give a reason.' }).trim().min(1, 'Give a reason.').max(500, 'At most 500 characters.'),
  requestId: z.uuid('A request id is a UUID.').optional(),
});
export type RefundInput = z.input<typeof refundInput>;

type Payment = Selectable<PaymentsTable>;

export async function refundPayment(
  deps: Pick<Deps, 'db' | 'clock' | 'log' | 'paypal' | 'config' | 'queue'>,
  actor: Actor,
  raw: unknown,
): Promise<RefundResult> {
  requirePlatformAdmin(actor);
  const parsed = refundInput.safeParse(raw);
  if (!parsed.success) {
    const fields = fieldErrors(parsed.error);
    if (fields.paymentId) throw new NotFoundError('No such payment.');
    throw new ValidationError(fields);
  }
  const input = parsed.data;
  const amount = parseMoney(input.amount, 2)!;
  const requestId = input.requestId ?? randomUUID();
  if (input.destination === 'paypal' && !deps.paypal)
    throw new AppError(
      'payments_unavailable',
      503,
      'No payment provider is configured: refunds to PayPal are not available.',
    );

  const first = await inTransaction(deps.db, async (trx) => {
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', input.paymentId)
      .forUpdate()
      .executeTakeFirst();
    if (!payment) throw new NotFoundError('No such payment.');
    const earlier = await trx.selectFrom('refunds').selectAll().where('request_id', '=', requestId).executeTakeFirst();
    if (earlier) {
      if (earlier.payment_id !== payment.id)
        throw new ConflictError('This request id was used for a refund of another payment.');
      return { refund: earlier, existing: true, payment };
    }
    if (payment.status !== 'completed' || !payment.capture_id) {
      throw new AppError(
        'not_refundable',
        422,
        payment.status === 'refunded'
          ? 'This payment has been refunded in full.'
          : `A ${payment.status} payment cannot be refunded: only completed payments can.`,
        { amount: 'This payment cannot be refunded.' },
      );
    }
    const left = await refundable(trx, payment);
    if (amount > left) {
      const message =
        left <= 0n
          ? 'Nothing is left to refund on this payment.'
          : `At most ${toDecimal(left, 2)} ${payment.currency} can still be refunded on this payment.`;
      throw new AppError('refund_exceeds_payment', 422, message, { amount: message });
    }
    const now = deps.clock.now();
    const refund = await trx
      .insertInto('refunds')
      .values({
        payment_id: payment.id,
        amount,
        destination: input.destination,
        status: input.destination === 'wallet' ? 'completed' : 'pending',
        request_id: requestId,
        reason: input.reason,
        created_by: actor.userId,
        created_at: now,
        completed_at: input.destination === 'wallet' ? now : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const wallet = await trx
      .selectFrom('wallets')
      .select('id')
      .where('organization_id', '=', payment.organization_id)
      .executeTakeFirstOrThrow();
    // paypal: the credited money leaves the wallet now (guarded); wallet: a credit note.
    const sign = input.destination === 'paypal' ? -1n : 1n;
    try {
      await post(trx, {
        idempotencyKey: `refund:${refund.id}`,
        kind: 'refund',
        organizationId: payment.organization_id,
        currency: payment.currency,
        description: input.destination === 'paypal' ? 'Refund to PayPal' : 'Refund as wallet credit',
        lines: [
          { walletId: wallet.id, amount: sign * amount },
          { account: 'refunds', amount: -sign * amount },
        ],
        createdBy: actor.userId,
        details: { payment_id: payment.id, refund_id: refund.id, destination: input.destination },
      });
    } catch (err) {
      if (err instanceof InsufficientFundsError) {
        const message = `The wallet no longer holds ${toDecimal(amount, 2)} ${payment.currency}: a refund to PayPal takes the money back out of the wallet, and the balance does not cover it. Refund less, or as wallet credit.`;
        throw new AppError('insufficient_funds', 422, message, { amount: message });
      }
      throw err;
    }
    // A credit note is issued now; a refund to PayPal once PayPal completes it (refund-settlement.ts).
    if (input.destination === 'wallet')
      await mailRefundIssued(deps, trx, { organizationId: payment.organization_id, amount, destination: 'wallet' });
    await wakeDunning(deps, trx, payment.organization_id);
    await recordActivity(trx, {
      action: 'admin.refund_issued',
      actorUserId: actor.userId,
      organizationId: payment.organization_id,
      target: { type: 'payment', id: payment.id },
      origin: actor.origin,
      details: {
        refund_id: refund.id,
        amount: toDecimal(amount, 2),
        currency: payment.currency,
        destination: input.destination,
        reason: input.reason.slice(0, 200),
      },
      occurredAt: now,
    });
    return { refund, existing: false, payment };
  });

  const currency = first.payment.currency;
  if (first.refund.destination === 'wallet' || first.refund.status !== 'pending')
    return { refund: first.refund, existing: first.existing, currency };
  // A PayPal refund still pending: ask PayPal (again, with the same request id: it refunds once).
  const refund = await askPayPal(deps, first.refund, first.payment.capture_id!, currency);
  return { refund, existing: first.existing, currency };
}

/** What can still be refunded on a payment (see the cap above). Call with the payment locked. */
export async function refundable(
  trx: Tx,
  payment: Pick<Payment, 'id' | 'amount' | 'refunded_amount'>,
): Promise<bigint> {
  const row = await trx
    .selectFrom('refunds')
    .select(
      sql<string>`coalesce(sum(amount) filter (where destination = 'wallet' and status = 'completed'), 0)`.as(
        'credited',
      ),
    )
    .where('payment_id', '=', payment.id)
    .executeTakeFirstOrThrow();
  return (await stillHeld(trx, payment)) - BigInt(row.credited);
}

/**
 * What the wallet still holds of a payment's top-up: amount − refunded_amount − Σ pending
 * refunds to PayPal (those left the wallet when staff asked). Money PayPal gives back outside
 * our refund flow is taken back up to this much (paypal-returns.ts). Call with the payment locked.
 */
export async function stillHeld(trx: Tx, payment: Pick<Payment, 'id' | 'amount' | 'refunded_amount'>): Promise<bigint> {
  const row = await trx
    .selectFrom('refunds')
    .select(
      sql<string>`coalesce(sum(amount) filter (where destination = 'paypal' and status = 'pending'), 0)`.as('pending'),
    )
    .where('payment_id', '=', payment.id)
    .executeTakeFirstOrThrow();
  return payment.amount - payment.refunded_amount - BigInt(row.pending);
}
