import { paypalError } from './errors.ts';
import { approvalUrl, captureJson, orderJson } from './resources.ts';
import {
  CAPTURE_FAULTS,
  CURRENCIES,
  formatAmount,
  isNamed,
  isoTime,
  paypalFee,
  paypalId,
  parseAmount,
  takeFault,
  type EmulatedCapture,
  type EmulatedOrder,
  type OrderFlow,
  type PayPalEmulatorState,
  type Reply,
} from './state.ts';
import { emitEvent } from './webhooks.ts';

/**
 * Orders v2 (§4). State machine of an order:
 *   CREATED (legacy application_context / no payment source) or PAYER_ACTION_REQUIRED
 *   (payment_source.paypal.experience_context) → buyer approves on the approval page → APPROVED
 *   → capture → COMPLETED (whatever the capture's own status: COMPLETED, PENDING or DECLINED).
 * Capturing before approval is ORDER_NOT_APPROVED; capturing again is ORDER_ALREADY_CAPTURED.
 */

const UNIT = "/purchase_units/@reference_id=='default'";
const ENUMS: Record<string, readonly string[]> = {
  shipping_preference: ['GET_FROM_FILE', 'NO_SHIPPING', 'SET_PROVIDED_ADDRESS'],
  user_action: ['CONTINUE', 'PAY_NOW'],
  payment_method_preference: ['UNRESTRICTED', 'IMMEDIATE_PAYMENT_REQUIRED'],
  landing_page: ['LOGIN', 'GUEST_CHECKOUT', 'NO_PREFERENCE', 'BILLING'],
};
const BREAKDOWN_PLUS = ['item_total', 'tax_total', 'shipping', 'handling', 'insurance'];
const BREAKDOWN_MINUS = ['shipping_discount', 'discount'];

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const missing = (field: string) => paypalError(400, 'MISSING_REQUIRED_PARAMETER', { field, location: 'body' });
const amountIssue = (issue: string, field: string, value: unknown) =>
  paypalError(issue === 'INVALID_PARAMETER_SYNTAX' ? 400 : 422, issue, {
    field,
    value: String(value),
    location: 'body',
  });

/** `POST /v2/checkout/orders`. */
export function createOrder(state: PayPalEmulatorState, body: unknown, representation: boolean): Reply {
  if (!isObject(body)) return paypalError(400, 'MALFORMED_REQUEST_JSON');
  if (body.intent === undefined) return missing('/intent');
  if (body.intent !== 'CAPTURE' && body.intent !== 'AUTHORIZE')
    return paypalError(400, 'INVALID_PARAMETER_VALUE', {
      field: '/intent',
      value: String(body.intent),
      location: 'body',
    });
  if (body.intent === 'AUTHORIZE')
    return paypalError(400, 'NOT_SUPPORTED', {
      field: '/intent',
      value: 'AUTHORIZE',
      description: 'The emulator only supports intent CAPTURE.',
    });
  const units = body.purchase_units;
  if (units === undefined) return missing('/purchase_units');
  if (!Array.isArray(units) || units.length === 0)
    return paypalError(400, 'INVALID_ARRAY_MIN_ITEMS', { field: '/purchase_units', location: 'body' });
  if (units.length > 1)
    return paypalError(400, 'NOT_SUPPORTED', {
      field: '/purchase_units',
      description: 'The emulator supports one purchase unit.',
    });
  const unit: unknown = units[0];
  if (!isObject(unit))
    return paypalError(400, 'INVALID_PARAMETER_SYNTAX', { field: '/purchase_units/0', location: 'body' });

  const amount = unit.amount;
  if (!isObject(amount)) return missing(`${UNIT}/amount`);
  const currency = amount.currency_code;
  if (typeof currency !== 'string') return missing(`${UNIT}/amount/currency_code`);
  if (!CURRENCIES.has(currency))
    return paypalError(422, 'INVALID_CURRENCY_CODE', {
      field: `${UNIT}/amount/currency_code`,
      value: currency,
      location: 'body',
    });
  if (amount.value === undefined) return missing(`${UNIT}/amount/value`);
  const parsed = parseAmount(amount.value, currency);
  if ('issue' in parsed) return amountIssue(parsed.issue, `${UNIT}/amount/value`, amount.value);
  for (const field of ['custom_id', 'invoice_id', 'description', 'soft_descriptor']) {
    const v = unit[field];
    if (
      v !== undefined &&
      (typeof v !== 'string' || v.length < 1 || v.length > (field === 'soft_descriptor' ? 22 : 127))
    ) {
      return paypalError(400, 'INVALID_STRING_LENGTH', { field: `${UNIT}/${field}`, location: 'body' });
    }
  }
  const totals = checkTotals(unit, amount, currency, parsed.minor);
  if (totals) return totals;
  if (
    typeof unit.invoice_id === 'string' &&
    [...state.orders.values()].some((o) => o.purchaseUnit.invoice_id === unit.invoice_id)
  ) {
    return paypalError(422, 'DUPLICATE_INVOICE_ID', {
      field: `${UNIT}/invoice_id`,
      value: unit.invoice_id,
      location: 'body',
    });
  }

  const source =
    isObject(body.payment_source) && isObject(body.payment_source.paypal)
      ? body.payment_source.paypal.experience_context
      : undefined;
  const ctx = isObject(source) ? source : isObject(body.application_context) ? body.application_context : null;
  const flow: OrderFlow = isObject(source) ? 'experience_context' : ctx ? 'application_context' : 'none';
  for (const field of ['return_url', 'cancel_url']) {
    const v = ctx?.[field];
    if (v !== undefined && !isWebUrl(v))
      return paypalError(400, 'INVALID_PARAMETER_SYNTAX', {
        field: `/payment_source/paypal/experience_context/${field}`,
        value: String(v),
        location: 'body',
      });
  }
  for (const [field, allowed] of Object.entries(ENUMS)) {
    const v = ctx?.[field];
    if (v !== undefined && !allowed.includes(String(v)))
      return paypalError(400, 'INVALID_PARAMETER_VALUE', {
        field: `/payment_source/paypal/experience_context/${field}`,
        value: String(v),
        location: 'body',
      });
  }

  const now = isoTime(state);
  const order: EmulatedOrder = {
    id: paypalId(17),
    status: flow === 'experience_context' ? 'PAYER_ACTION_REQUIRED' : 'CREATED',
    flow,
    currency,
    amountMinor: parsed.minor,
    purchaseUnit: {
      ...unit,
      reference_id: typeof unit.reference_id === 'string' ? unit.reference_id : 'default',
      amount: { ...amount, value: formatAmount(parsed.minor, currency) },
    },
    returnUrl: typeof ctx?.return_url === 'string' ? ctx.return_url : null,
    cancelUrl: typeof ctx?.cancel_url === 'string' ? ctx.cancel_url : null,
    brandName: typeof ctx?.brand_name === 'string' ? ctx.brand_name : null,
    experience: ctx ? { ...ctx } : null,
    payerApproved: false,
    declined: false,
    captureIds: [],
    createTime: now,
    updateTime: now,
  };
  state.orders.set(order.id, order);
  return { status: 201, body: orderJson(state, order, representation) };
}

/** Items must add up to `item_total`, and the breakdown to the amount (PayPal's consistency rules). */
function checkTotals(
  unit: Record<string, unknown>,
  amount: Record<string, unknown>,
  currency: string,
  total: bigint,
): Reply | null {
  const breakdown = isObject(amount.breakdown) ? amount.breakdown : null;
  const part = (name: string): bigint | Reply => {
    const m = breakdown?.[name];
    if (m === undefined) return 0n;
    if (!isObject(m) || m.currency_code !== currency)
      return paypalError(422, 'CURRENCY_MISMATCH', { field: `${UNIT}/amount/breakdown/${name}`, location: 'body' });
    const p = parseAmount(m.value, currency, true);
    return 'issue' in p ? amountIssue(p.issue, `${UNIT}/amount/breakdown/${name}/value`, m.value) : p.minor;
  };
  if (unit.items !== undefined) {
    if (!Array.isArray(unit.items))
      return paypalError(400, 'INVALID_PARAMETER_SYNTAX', { field: `${UNIT}/items`, location: 'body' });
    if (!breakdown || breakdown.item_total === undefined)
      return paypalError(422, 'ITEM_TOTAL_REQUIRED', {
        field: `${UNIT}/amount/breakdown/item_total`,
        location: 'body',
      });
    let sum = 0n;
    for (const [i, item] of unit.items.entries()) {
      const price =
        isObject(item) && isObject(item.unit_amount) ? parseAmount(item.unit_amount.value, currency, true) : null;
      const qty =
        isObject(item) && typeof item.quantity === 'string' && /^\d{1,10}$/.test(item.quantity)
          ? BigInt(item.quantity)
          : null;
      if (!price || 'issue' in price || qty === null)
        return paypalError(400, 'INVALID_PARAMETER_SYNTAX', { field: `${UNIT}/items/${i}`, location: 'body' });
      sum += price.minor * qty;
    }
    const itemTotal = part('item_total');
    if (typeof itemTotal !== 'bigint') return itemTotal;
    if (sum !== itemTotal)
      return paypalError(422, 'ITEM_TOTAL_MISMATCH', {
        field: `${UNIT}/amount/breakdown/item_total`,
        location: 'body',
      });
  }
  if (!breakdown) return null;
  let sum = 0n;
  for (const [names, sign] of [
    [BREAKDOWN_PLUS, 1n],
    [BREAKDOWN_MINUS, -1n],
  ] as const) {
    for (const name of names) {
      const v = part(name);
      if (typeof v !== 'bigint') return v;
      sum += sign * v;
    }
  }
  return sum === total
    ? null
    : paypalError(422, 'AMOUNT_MISMATCH', { field: `${UNIT}/amount/value`, location: 'body' });
}

/** `GET /v2/checkout/orders/{id}`. */
export function getOrder(state: PayPalEmulatorState, orderId: string): Reply {
  const order = state.orders.get(orderId);
  if (!order) return paypalError(404, 'INVALID_RESOURCE_ID', { field: 'order_id', value: orderId, location: 'path' });
  return { status: 200, body: orderJson(state, order, true) };
}

/** `POST /v2/checkout/orders/{id}/capture`. Capture faults apply only to an approved order. */
export function captureOrder(state: PayPalEmulatorState, orderId: string): Reply {
  const order = state.orders.get(orderId);
  if (!order) return paypalError(404, 'INVALID_RESOURCE_ID', { field: 'order_id', value: orderId, location: 'path' });
  if (order.status === 'COMPLETED') return paypalError(422, 'ORDER_ALREADY_CAPTURED');
  if (order.status !== 'APPROVED') return paypalError(422, 'ORDER_NOT_APPROVED');
  const fault = takeFault(state, 'capture', isNamed(...CAPTURE_FAULTS));
  if (fault === 'instrument_declined') {
    return paypalError(422, 'INSTRUMENT_DECLINED', {
      links: [{ href: approvalUrl(state, order.id), rel: 'redirect', method: 'GET' }],
    });
  }
  if (fault === 'payer_action_required') {
    return paypalError(422, 'PAYER_ACTION_REQUIRED', {
      links: [{ href: approvalUrl(state, order.id), rel: 'payer-action', method: 'GET' }],
    });
  }

  const status = fault === 'pending' ? 'PENDING' : fault === 'declined' || order.declined ? 'DECLINED' : 'COMPLETED';
  const now = isoTime(state);
  const capture: EmulatedCapture = {
    id: paypalId(17),
    orderId: order.id,
    status,
    statusReason: status === 'PENDING' ? 'PENDING_REVIEW' : null,
    currency: order.currency,
    amountMinor: order.amountMinor,
    feeMinor: status === 'DECLINED' ? 0n : paypalFee(order.amountMinor, order.currency),
    refundedMinor: 0n,
    refundIds: [],
    customId: typeof order.purchaseUnit.custom_id === 'string' ? order.purchaseUnit.custom_id : null,
    invoiceId: typeof order.purchaseUnit.invoice_id === 'string' ? order.purchaseUnit.invoice_id : null,
    createTime: now,
    updateTime: now,
  };
  state.captures.set(capture.id, capture);
  order.captureIds.push(capture.id);
  order.status = 'COMPLETED';
  order.updateTime = now;
  const value = `${capture.currency} ${formatAmount(capture.amountMinor, capture.currency)}`;
  emitEvent(
    state,
    `PAYMENT.CAPTURE.${status}`,
    'capture',
    captureJson(state, capture, true),
    `Payment ${status.toLowerCase()} for ${value}`,
  );
  // The capture happened; the caller is told it had already happened (a lost or raced answer).
  if (fault === 'already_captured') return paypalError(422, 'ORDER_ALREADY_CAPTURED');
  return { status: 201, body: orderJson(state, order, true) };
}

export type BuyerDecision = 'approve' | 'cancel' | 'decline';

/**
 * What the buyer does on the approval page (§4.3). Approve and Decline both approve the order
 * (Decline makes its capture come back DECLINED) and send the buyer to `return_url` with
 * `token` and `PayerID`; Cancel sends them to `cancel_url?token=` and changes nothing.
 * Returns where to send the buyer (null when the order has no such URL).
 */
export function decide(
  state: PayPalEmulatorState,
  orderId: string,
  decision: BuyerDecision,
): { redirect: string | null } | { refused: string } {
  const order = state.orders.get(orderId);
  if (!order) return { refused: 'This order does not exist (or the emulator was restarted).' };
  if (decision === 'cancel')
    return { redirect: order.cancelUrl ? withParams(order.cancelUrl, { token: order.id }) : null };
  if (order.status !== 'CREATED' && order.status !== 'PAYER_ACTION_REQUIRED') {
    if (order.status === 'APPROVED' && order.declined === (decision === 'decline'))
      return { redirect: returnTo(state, order) };
    return { refused: `This order is already ${order.status.toLowerCase()}.` };
  }
  order.status = 'APPROVED';
  order.payerApproved = true;
  order.declined = decision === 'decline';
  order.updateTime = isoTime(state);
  emitEvent(
    state,
    'CHECKOUT.ORDER.APPROVED',
    'checkout-order',
    orderJson(state, order, true),
    'An order has been approved by buyer',
  );
  return { redirect: returnTo(state, order) };
}

function returnTo(state: PayPalEmulatorState, order: EmulatedOrder): string | null {
  return order.returnUrl ? withParams(order.returnUrl, { token: order.id, PayerID: state.payer.payerId }) : null;
}

function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

function isWebUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
