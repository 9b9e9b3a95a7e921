import type { PaymentStatus } from '../../db/types.ts';

/**
 * A payment's life (`payments.status`). A top-up is a payment, so this is the top-up's state
 * machine too: it starts `created` (or `held` when fraud screening asks for review) and ends in
 * one of the states without a way out. The list is the CHECK constraint of the billing
 * migration and `PaymentStatus` in src/db/types.ts: change the three together (a new state is
 * a new migration); test/status/ compares this list with the database.
 */
export const PAYMENT_STATUSES = [
  'held', // fraud screening asked for review: no PayPal order yet; staff allow or block it
  'created', // a PayPal order exists; the buyer is sent to approve it
  'pending', // PayPal captured it as PENDING (an eCheck, a review at PayPal): not credited yet
  'completed', // captured and credited to the wallet, exactly once
  'cancelled', // abandoned by the buyer, or blocked by fraud review: nothing was charged
  'denied', // PayPal declined or failed the capture: nothing was credited
  'failed', // PayPal could not create the order: the customer starts a new top-up
  'refunded', // credited, then all of it went back to the buyer at PayPal
  'reversed', // credited, then PayPal took money back (a chargeback)
] as const satisfies readonly PaymentStatus[];

/**
 * Where each state may go next (staying put is not a move). Who moves it:
 *   held → created        continueTopUp, once staff allowed the screening (fraud/review.ts)
 *   held → cancelled      fraud review blocked it
 *   created → pending | denied | completed    settleCapture, from the capture PayPal reports
 *   created → cancelled   cancelTopUp (the buyer came back through "Cancel")
 *   created → failed      PayPal refused to create the order (openOrder)
 *   pending → completed | denied              settleCapture, when PayPal decides
 *   cancelled | denied → completed            settleCapture: PayPal reports the capture
 *                         COMPLETED after all (approved in another tab as the buyer cancelled
 *                         here); money that arrived is always credited
 *   completed → refunded  the last of it went back to the buyer (refund-settlement.ts, paypal-returns.ts)
 *   completed → reversed  a chargeback (paypal-returns.ts)
 */
export const PAYMENT_TRANSITIONS = {
  held: ['created', 'cancelled'],
  created: ['pending', 'completed', 'cancelled', 'denied', 'failed'],
  pending: ['completed', 'denied'],
  completed: ['refunded', 'reversed'],
  cancelled: ['completed'],
  denied: ['completed'],
  failed: [],
  refunded: [],
  reversed: [],
} as const satisfies Record<PaymentStatus, readonly PaymentStatus[]>;

/** Whether a payment may move from `from` to `to`. */
export function canMovePayment(from: PaymentStatus, to: PaymentStatus): boolean {
  return (PAYMENT_TRANSITIONS[from] as readonly PaymentStatus[]).includes(to);
}

/** `to`, after checking the move is one of PAYMENT_TRANSITIONS (staying put is fine): another is a bug, so it throws. */
export function paymentMove(from: PaymentStatus, to: PaymentStatus): PaymentStatus {
  if (from !== to && !canMovePayment(from, to)) throw new Error(`a payment cannot move from ${from} to ${to}`);
  return to;
}
