import type { RefundStatus } from '../../db/types.ts';

/**
 * A refund's life (`refunds.status`; refunds.ts issues them, refund-settlement.ts settles them
 * with PayPal). The list is the CHECK constraint of the billing migration and `RefundStatus` in
 * src/db/types.ts: change the three together; test/status/ compares this list with the database.
 */
export const REFUND_STATUSES = [
  'pending', // to PayPal: the money left the wallet; PayPal has not confirmed giving it back yet
  'completed', // done: PayPal gave the money back, or (wallet credit) the wallet got it at once
  'failed', // PayPal refused for good: the money went back into the wallet
] as const satisfies readonly RefundStatus[];

/**
 * Where each state may go next. A refund to PayPal starts `pending`; a wallet credit starts
 * (and stays) `completed`.
 *   pending → completed   PayPal says COMPLETED (at once, or later through syncRefund or its webhook)
 *   pending → failed      PayPal refuses for good (FAILED, CANCELLED, or a final error)
 */
export const REFUND_TRANSITIONS = {
  pending: ['completed', 'failed'],
  completed: [],
  failed: [],
} as const satisfies Record<RefundStatus, readonly RefundStatus[]>;

/** The states a refund may move into `to` from: a guarded UPDATE's `where status in (…)`. */
export function refundMovesInto(to: RefundStatus): RefundStatus[] {
  return REFUND_STATUSES.filter((from) => (REFUND_TRANSITIONS[from] as readonly RefundStatus[]).includes(to));
}
