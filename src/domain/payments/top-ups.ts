import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import type { PaymentsTable } from '../../db/types.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseMoney, toDecimal } from '../../lib/money.ts';
import { parseInput } from '../../lib/validation.ts';
import { PayPalError, type PayPalClient } from '../../providers/paypal/client.ts';
import type { PayPalCapture } from '../../providers/paypal/types.ts';
import { can, type Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { isTopUpCleared } from '../fraud/review.ts';
import { screeningRefusal, screenTopUp } from '../fraud/screen.ts';
import { getBillingSettings } from '../settings/billing.ts';
import { CaptureMismatchError, settleCapture, type SettleOutcome } from './settlement.ts';

/**
 * Adding funds with PayPal: check the amount against the platform's limits, screen it for
 * fraud, create an order for the organization, send the buyer to approve it, then capture and
 * credit through `settleCapture`. Needs `billing_manage` in the acting organization.
 *
 * A screening `reject` creates nothing (422); `review` creates a `held` payment without a
 * PayPal order, which the customer continues (`continueTopUp`) once staff allowed it. A
 * top-up's states are its payment's (status.ts).
 */

export const topUpInput = z.object({
  amount: z
    .string({ error: 'Enter an amount.' })
    .trim()
    .refine((v) => parseMoney(v, 2) !== null, 'Enter an amount like 25 or 25.00 (digits, at most 2 decimals).'),
});

/**
 * Top-up limits from platform settings (staff set them at /admin; defaults 5.00 to 1000.00).
 * With `cache`, kept until platform settings change (the catalogue scope, src/lib/data-cache.ts):
 * for showing them; a top-up is checked against the stored ones.
 */
export async function topUpLimits(db: DbOrTx, opts: { cache?: DataCache } = {}): Promise<{ min: bigint; max: bigint }> {
  if (opts.cache) return opts.cache.read('top-up-limits', [CATALOGUE], () => topUpLimits(db));
  const s = await getBillingSettings(db);
  return { min: s.topUpMin, max: s.topUpMax };
}

export interface StartedTopUp {
  id: string;
  /** `created`: send the buyer to `approveUrl`; `held`: under fraud review, no order yet. */
  status: 'created' | 'held';
  approveUrl: string | null;
  amount: bigint;
  currency: string;
}

function requireManage(actor: Actor): string {
  if (!actor.organizationId) throw new NotFoundError('No such organization.');
  if (!can(actor, 'billing_manage')) throw new ForbiddenError('Only members with billing_manage can add funds.');
  return actor.organizationId;
}

function paypalOf(deps: Pick<Deps, 'paypal'>): PayPalClient {
  if (!deps.paypal)
    throw new AppError(
      'payments_unavailable',
      503,
      'Adding funds is not available: no payment provider is configured on this platform.',
    );
  return deps.paypal;
}

export async function startTopUp(deps: Deps, actor: Actor, raw: unknown): Promise<StartedTopUp> {
  const organizationId = requireManage(actor);
  const input = parseInput(topUpInput, raw);
  const amount = parseMoney(input.amount, 2)!;
  // The wallet's own currency: the credit must match it (an older wallet may differ from BILLING_CURRENCY).
  const wallet = await deps.db
    .selectFrom('wallets')
    .select('currency')
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  const currency = wallet.currency;
  const limits = await topUpLimits(deps.db);
  if (amount < limits.min || amount > limits.max) {
    throw new ValidationError({
      amount: `Add between ${toDecimal(limits.min)} and ${toDecimal(limits.max)} ${currency}.`,
    });
  }
  paypalOf(deps);

  const user = await deps.db
    .selectFrom('users')
    .select('email')
    .where('id', '=', actor.userId)
    .executeTakeFirstOrThrow();
  const screening = await screenTopUp(deps, {
    userId: actor.userId,
    organizationId,
    email: user.email,
    ip: actor.origin.ip,
    amount,
    currency,
  });
  if (screening.decision === 'reject') {
    const refusal = screeningRefusal('top_up', screening);
    // A refusal of this payment (not of the member's role): 422, like any input we will not take.
    throw screening.unavailable ? refusal : new AppError(refusal.code, 422, refusal.message);
  }
  const held = screening.decision === 'review';
  const payment = await deps.db
    .insertInto('payments')
    .values({
      organization_id: organizationId,
      created_by: actor.userId,
      amount,
      currency,
      status: held ? 'held' : 'created',
      fraud_check_id: screening.checkId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (held) return { id: payment.id, status: 'held', approveUrl: null, amount, currency };
  return openOrder(deps, payment);
}

/**
 * A held top-up goes ahead once staff allowed it: `held → created` (once, even if asked twice
 * at the same moment) and its PayPal order is created now.
 */
export async function continueTopUp(deps: Deps, actor: Actor, paymentId: string): Promise<StartedTopUp> {
  requireManage(actor);
  const payment = await findPayment(deps.db, actor, { id: paymentId });
  if (payment.status !== 'held')
    throw new AppError('payment_not_held', 409, 'This top-up is not waiting for review any more.');
  if (!(await isTopUpCleared(deps.db, payment.fraud_check_id))) {
    throw new AppError(
      'payment_under_review',
      409,
      'This top-up is still being reviewed. You can continue to PayPal once it is approved.',
    );
  }
  paypalOf(deps);
  const moved = await deps.db
    .updateTable('payments')
    .set({ status: 'created', updated_at: deps.clock.now() })
    .where('id', '=', payment.id)
    .where('status', '=', 'held')
    .returningAll()
    .executeTakeFirst();
  if (!moved) throw new AppError('payment_not_held', 409, 'This top-up is not waiting for review any more.');
  return openOrder(deps, moved);
}

/** Creates the PayPal order of a `created` payment; a PayPal failure marks it failed (503). */
async function openOrder(
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'log' | 'paypal'>,
  payment: Selectable<PaymentsTable>,
): Promise<StartedTopUp> {
  const paypal = paypalOf(deps);
  try {
    const order = await paypal.createOrder({
      amount: toDecimal(payment.amount, 2),
      currency: payment.currency,
      customId: payment.organization_id,
      invoiceId: payment.id,
      description: `${deps.config.BRAND_NAME} wallet top-up`,
      returnUrl: `${deps.config.publicUrl}/billing/payment/success`,
      cancelUrl: `${deps.config.publicUrl}/billing/payment/cancel`,
      brandName: deps.config.BRAND_NAME,
      requestId: `order-${payment.id}`,
    });
    await deps.db
      .updateTable('payments')
      .set({ provider_order_id: order.id, updated_at: deps.clock.now() })
      .where('id', '=', payment.id)
      .execute();
    return {
      id: payment.id,
      status: 'created',
      approveUrl: order.approveUrl,
      amount: payment.amount,
      currency: payment.currency,
    };
  } catch (err) {
    const reason = err instanceof PayPalError ? `${err.name}${err.issue ? ` (${err.issue})` : ''}` : 'unexpected error';
    deps.log.warn(
      { payment_id: payment.id, err: err instanceof Error ? err.message : String(err) },
      'paypal order creation failed',
    );
    await deps.db
      .updateTable('payments')
      .set({ status: 'failed', failure_reason: reason, updated_at: deps.clock.now() })
      .where('id', '=', payment.id)
      .execute();
    throw new AppError(
      'payment_provider_error',
      503,
      'PayPal could not start the payment. Please try again in a moment.',
    );
  }
}

/** A payment of the actor's organization, by our id or by PayPal's order id; foreign → 404. */
export async function findPayment(db: DbOrTx, actor: Actor, ref: { id?: string; orderId?: string }) {
  if (!actor.organizationId) throw new NotFoundError('No such payment.');
  let q = db.selectFrom('payments').selectAll().where('organization_id', '=', actor.organizationId);
  if (ref.id && isUuid(ref.id)) q = q.where('id', '=', ref.id);
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
export async function captureTopUp(
  deps: Pick<Deps, 'db' | 'clock' | 'log' | 'paypal' | 'config' | 'queue'>,
  actor: Actor,
  ref: { id?: string; orderId?: string },
): Promise<SettleOutcome & { paymentId: string; balance: bigint; currency: string }> {
  requireManage(actor);
  const payment = await findPayment(deps.db, actor, ref);
  const balanceNow = async () =>
    (
      await deps.db
        .selectFrom('wallets')
        .select('balance')
        .where('organization_id', '=', payment.organization_id)
        .executeTakeFirstOrThrow()
    ).balance;
  if (payment.status === 'held')
    throw new AppError('payment_under_review', 409, 'This top-up is being reviewed; there is nothing to capture yet.');
  if (!payment.provider_order_id || payment.status === 'failed') {
    throw new AppError('payment_not_capturable', 409, 'This payment cannot be completed. Start a new top-up.');
  }
  if (payment.status !== 'created' && payment.status !== 'pending') {
    return {
      paymentId: payment.id,
      status: payment.status,
      credited: false,
      balance: await balanceNow(),
      currency: payment.currency,
    };
  }
  let settled: SettleOutcome;
  try {
    const capture = await captureOf(paypalOf(deps), payment.provider_order_id, payment.id);
    if (!capture)
      throw new AppError(
        'payment_not_approved',
        409,
        'PayPal has not approved this payment yet. Approve it on PayPal first.',
      );
    settled = await settleCapture(deps, { paymentId: payment.id, capture });
  } catch (err) {
    throw captureFailure(deps, payment.id, err);
  }
  return { ...settled, balance: await balanceNow(), paymentId: payment.id, currency: payment.currency };
}

/** What the customer is told when a capture could not be settled now (nothing was credited). */
function captureFailure(deps: Pick<Deps, 'log'>, paymentId: string, err: unknown): unknown {
  if (err instanceof CaptureMismatchError) {
    deps.log.error({ payment_id: paymentId, err: err.message }, 'paypal capture does not match its payment');
    return new AppError(
      'payment_mismatch',
      409,
      'PayPal reported this payment differently from what was ordered, so it was not credited. Our staff have been alerted.',
    );
  }
  if (err instanceof PayPalError && err.hasIssue('INSTRUMENT_DECLINED')) {
    return new AppError(
      'payment_declined',
      422,
      'PayPal declined the chosen funding source. Start a new top-up and pick another one.',
    );
  }
  if (err instanceof PayPalError) {
    deps.log.warn({ payment_id: paymentId, err: err.message }, 'paypal capture failed');
    return new AppError(
      'payment_provider_error',
      503,
      'PayPal is not answering right now. Try again in a moment: you will not be charged twice.',
    );
  }
  return err;
}

/** Captures (or finds the earlier capture of) an order; null when the buyer has not approved. */
export async function captureOf(
  paypal: PayPalClient,
  orderId: string,
  paymentId: string,
): Promise<PayPalCapture | null> {
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
export async function cancelTopUp(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, orderId: string) {
  requireManage(actor);
  const payment = await findPayment(deps.db, actor, { orderId });
  if (payment.status === 'created') {
    await deps.db
      .updateTable('payments')
      .set({ status: 'cancelled', updated_at: deps.clock.now() })
      .where('id', '=', payment.id)
      .where('status', '=', 'created')
      .execute();
    return { ...payment, status: 'cancelled' as const };
  }
  return payment;
}

export interface TopUpInProgress {
  id: string;
  status: 'held' | 'pending';
  amount: bigint;
  currency: string;
  created_at: Date;
  /** Held top-ups: whether screening cleared it to go on to PayPal. */
  cleared: boolean;
}

/**
 * Top-ups of an organization not settled yet, newest first (at most 20): held for review (with
 * whether they are cleared to go on) or pending at PayPal. A SQL expression giving them as a JSON
 * array, for the one statement that reads the billing page (wallets/overview.ts), which checked
 * `billing_view`; `topUpsInProgressOf` reads it. `cleared` must agree with `isTopUpCleared` in
 * fraud/review.ts.
 */
export const topUpsInProgressJson = (organizationId: string) => sql<unknown>`(
  select coalesce(json_agg(json_build_object('id', p.id, 'status', p.status, 'amount', p.amount::text,
                                             'currency', p.currency::text, 'created_at', p.created_at,
                                             'cleared', p.cleared) order by p.created_at desc), '[]')
    from (select p.id, p.status, p.amount, p.currency, p.created_at,
                 coalesce(f.status in ('approve', 'skipped', 'allowed'), true) as cleared
            from payments p
            left join fraud_checks f on f.id = p.fraud_check_id
           where p.organization_id = ${organizationId} and p.status in ('held', 'pending')
           order by p.created_at desc
           limit 20) p)`;

/** The top-ups of a `topUpsInProgressJson` value. */
export function topUpsInProgressOf(json: unknown): TopUpInProgress[] {
  return (json as Array<Omit<TopUpInProgress, 'amount' | 'created_at'> & { amount: string; created_at: string }>).map(
    (p) => ({ ...p, amount: BigInt(p.amount), created_at: new Date(p.created_at) }),
  );
}
