import { z } from 'zod';
import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { parseMoney, toDecimal } from '../../lib/money.ts';
import { parseInput } from '../../lib/validation.ts';
import { PayPalError, type PayPalClient } from '../../providers/paypal/client.ts';
import type { PayPalCapture } from '../../providers/paypal/types.ts';
import { can, type Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { ForbiddenError } from '../../lib/errors.ts';
import { settleCapture, type OnCredited, type SettleOutcome } from './payments.ts';

/**
 * Adding funds with PayPal: create an order for the organization (amount checked against the
 * platform's minimum and maximum), send the buyer to approve it, then capture and credit
 * through `settleCapture`. Needs `billing_manage` in the acting organization.
 */
export interface TopUpDeps extends Deps {
  paypal: PayPalClient | null;
  /** Called in the crediting transaction (issues the receipt invoice). */
  onCredited?: OnCredited;
}

export const topUpInput = z.object({
  amount: z
    .string({ error: 'Enter an amount.' })
    .trim()
    .refine((v) => parseMoney(v, 2) !== null, 'Enter an amount like 25 or 25.00 (at most 2 decimals).'),
});

const DEFAULT_LIMITS = { min: 5_000_000n, max: 1_000_000_000n };

/** Top-up limits from platform settings ('billing': { top_up_min, top_up_max } decimal strings). */
export async function topUpLimits(deps: Pick<Deps, 'db'>): Promise<{ min: bigint; max: bigint }> {
  const row = await deps.db.selectFrom('platform_settings').select('value').where('key', '=', 'billing').executeTakeFirst();
  const v = (row?.value ?? {}) as { top_up_min?: string; top_up_max?: string };
  return {
    min: (v.top_up_min && parseMoney(v.top_up_min)) || DEFAULT_LIMITS.min,
    max: (v.top_up_max && parseMoney(v.top_up_max)) || DEFAULT_LIMITS.max,
  };
}

function requireManage(actor: Actor): string {
  if (!actor.organizationId) throw new NotFoundError('No such organization.');
  if (!can(actor, 'billing_manage')) throw new ForbiddenError('Only members with billing_manage can add funds.');
  return actor.organizationId;
}

function paypalOf(deps: TopUpDeps): PayPalClient {
  if (!deps.paypal) throw new AppError('payments_unavailable', 503, 'Card and PayPal payments are not configured on this platform.');
  return deps.paypal;
}

export async function startTopUp(deps: TopUpDeps, actor: Actor, raw: unknown) {
  const organizationId = requireManage(actor);
  const input = parseInput(topUpInput, raw);
  const amount = parseMoney(input.amount, 2)!;
  const limits = await topUpLimits(deps);
  if (amount < limits.min || amount > limits.max) {
    throw new ValidationError({ amount: `Add between ${toDecimal(limits.min)} and ${toDecimal(limits.max)} ${deps.config.BILLING_CURRENCY}.` });
  }
  const paypal = paypalOf(deps);
  const currency = deps.config.BILLING_CURRENCY;
  const payment = await deps.db
    .insertInto('payments')
    .values({ organization_id: organizationId, created_by: actor.userId, amount, currency, status: 'created' })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  try {
    const order = await paypal.createOrder({
      amount: toDecimal(amount, 2),
      currency,
      customId: organizationId,
      invoiceId: payment.id,
      description: `${deps.config.BRAND_NAME} wallet top-up`,
      returnUrl: `${deps.config.publicUrl}/billing/payment/success`,
      cancelUrl: `${deps.config.publicUrl}/billing/payment/cancel`,
      brandName: deps.config.BRAND_NAME,
      requestId: `order-${payment.id}`,
    });
    await deps.db.updateTable('payments').set({ provider_order_id: order.id, updated_at: deps.clock.now() }).where('id', '=', payment.id).execute();
    return { id: payment.id, status: 'created' as const, approveUrl: order.approveUrl, amount, currency };
  } catch (err) {
    const reason = err instanceof PayPalError ? `${err.name}${err.issue ? ` (${err.issue})` : ''}` : 'unexpected error';
    await deps.db.updateTable('payments').set({ status: 'failed', failure_reason: reason, updated_at: deps.clock.now() }).where('id', '=', payment.id).execute();
    throw new AppError('payment_provider_error', 503, 'PayPal could not start the payment. Please try again in a moment.');
  }
}

/** A payment of the actor's organization, by our id or by PayPal's order id; foreign → 404. */
export async function findPayment(deps: Pick<Deps, 'db'>, actor: Actor, ref: { id?: string; orderId?: string }) {
  if (!actor.organizationId) throw new NotFoundError('No such payment.');
  let q = deps.db.selectFrom('payments').selectAll().where('organization_id', '=', actor.organizationId);
  if (ref.id) q = q.where('id', '=', ref.id);
  else if (ref.orderId) q = q.where('provider_order_id', '=', ref.orderId);
  else throw new NotFoundError('No such payment.');
  const payment = await q.executeTakeFirst();
  if (!payment) throw new NotFoundError('No such payment.');
  return payment;
}

/**
 * Captures an approved order and credits it (the return page and `POST …/capture`). Safe to
 * call any number of times: an order captured before is resolved by reading it from PayPal.
 */
export async function captureTopUp(deps: TopUpDeps, actor: Actor, ref: { id?: string; orderId?: string }): Promise<SettleOutcome & { paymentId: string }> {
  requireManage(actor);
  const payment = await findPayment(deps, actor, ref);
  if (!payment.provider_order_id || payment.status === 'held' || payment.status === 'failed') {
    throw new AppError('payment_not_capturable', 409, 'This payment cannot be completed. Start a new top-up.');
  }
  if (payment.status !== 'created' && payment.status !== 'pending') {
    const wallet = await deps.db.selectFrom('wallets').select('balance').where('organization_id', '=', payment.organization_id).executeTakeFirstOrThrow();
    return { paymentId: payment.id, status: payment.status, credited: false, balance: wallet.balance };
  }
  const capture = await captureOf(paypalOf(deps), payment.provider_order_id, payment.id);
  if (!capture) throw new AppError('payment_not_approved', 409, 'PayPal has not approved this payment yet. Approve it on PayPal first.');
  const settled = await settleCapture(deps, payment.id, capture, deps.onCredited);
  const wallet = await deps.db.selectFrom('wallets').select('balance').where('organization_id', '=', payment.organization_id).executeTakeFirstOrThrow();
  return { ...settled, balance: wallet.balance, paymentId: payment.id };
}

/** Captures (or finds the earlier capture of) an order; null when the buyer has not approved. */
export async function captureOf(paypal: PayPalClient, orderId: string, paymentId: string): Promise<PayPalCapture | null> {
  try {
    const result = await paypal.captureOrder(orderId, `capture-${paymentId}`);
    if (result.outcome === 'captured') return result.capture;
  } catch (err) {
    if (err instanceof PayPalError && err.hasIssue('ORDER_NOT_APPROVED')) return null;
    throw err;
  }
  // ORDER_ALREADY_CAPTURED: whoever captured it, the order says how it went.
  const order = await paypal.getOrder(orderId);
  return order.purchase_units?.[0]?.payments?.captures?.[0] ?? null;
}

/** The buyer came back through "Cancel": the order is abandoned (nothing was charged). */
export async function cancelTopUp(deps: TopUpDeps, actor: Actor, orderId: string) {
  const payment = await findPayment(deps, actor, { orderId });
  if (payment.status === 'created') {
    await deps.db.updateTable('payments').set({ status: 'cancelled', updated_at: deps.clock.now() }).where('id', '=', payment.id).where('status', '=', 'created').execute();
    return { ...payment, status: 'cancelled' as const };
  }
  return payment;
}
