import { paypalError } from './errors.ts';
import { captureJson, refundJson } from './resources.ts';
import {
  formatAmount,
  isNamed,
  isoTime,
  parseAmount,
  paypalId,
  takeFault,
  type EmulatedCapture,
  type EmulatedRefund,
  type PayPalEmulatorState,
  type Reply,
} from './state.ts';
import { emitEvent } from './webhooks.ts';

/**
 * Payments v2 (§5): reading captures and refunds, refunding, and what happens to a capture
 * later (a PENDING capture completes or is denied; a completed one can be reversed by a
 * chargeback). The total refunded or reversed never exceeds the captured amount.
 */

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const label = (minor: bigint, currency: string) => `${currency} ${formatAmount(minor, currency)}`;

export function getCapture(state: PayPalEmulatorState, captureId: string): Reply {
  const c = state.captures.get(captureId);
  if (!c) return paypalError(404, 'INVALID_RESOURCE_ID', { field: 'capture_id', value: captureId, location: 'path' });
  return { status: 200, body: captureJson(state, c, true) };
}

export function getRefund(state: PayPalEmulatorState, refundId: string): Reply {
  const r = state.refunds.get(refundId);
  if (!r) return paypalError(404, 'INVALID_RESOURCE_ID', { field: 'refund_id', value: refundId, location: 'path' });
  return { status: 200, body: refundJson(state, r, true) };
}

/** `POST /v2/payments/captures/{id}/refund`. An empty body refunds everything not yet refunded. */
export function refundCapture(
  state: PayPalEmulatorState,
  captureId: string,
  body: unknown,
  representation: boolean,
): Reply {
  const c = state.captures.get(captureId);
  if (!c) return paypalError(404, 'INVALID_RESOURCE_ID', { field: 'capture_id', value: captureId, location: 'path' });
  if (!isObject(body)) return paypalError(400, 'MALFORMED_REQUEST_JSON');
  if (c.statusReason === 'CHARGEBACK') return paypalError(422, 'REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK');
  if (c.status === 'PENDING') return paypalError(422, 'PENDING_CAPTURE');
  if (c.status === 'DECLINED' || c.status === 'FAILED') return paypalError(422, 'REFUND_NOT_ALLOWED');
  const remaining = c.amountMinor - c.refundedMinor;
  if (remaining <= 0n) return paypalError(422, 'CAPTURE_FULLY_REFUNDED');

  let amount = remaining;
  if (body.amount !== undefined) {
    const a = body.amount;
    if (!isObject(a) || typeof a.currency_code !== 'string' || a.value === undefined) {
      return paypalError(400, 'MISSING_REQUIRED_PARAMETER', { field: '/amount', location: 'body' });
    }
    if (a.currency_code !== c.currency)
      return paypalError(422, 'CURRENCY_MISMATCH', {
        field: '/amount/currency_code',
        value: a.currency_code,
        location: 'body',
      });
    const parsed = parseAmount(a.value, c.currency);
    if ('issue' in parsed) {
      return paypalError(parsed.issue === 'INVALID_PARAMETER_SYNTAX' ? 400 : 422, parsed.issue, {
        field: '/amount/value',
        value: String(a.value),
        location: 'body',
      });
    }
    if (parsed.minor > remaining)
      return paypalError(422, 'REFUND_AMOUNT_EXCEEDED', {
        field: '/amount/value',
        value: String(a.value),
        location: 'body',
      });
    amount = parsed.minor;
  }
  for (const [field, max] of [
    ['note_to_payer', 255],
    ['invoice_id', 127],
    ['custom_id', 127],
  ] as const) {
    const v = body[field];
    if (v !== undefined && (typeof v !== 'string' || v.length < 1 || v.length > max))
      return paypalError(400, 'INVALID_STRING_LENGTH', { field: `/${field}`, location: 'body' });
  }

  const pending = takeFault(state, 'refund', isNamed('refund_pending')) !== null;
  const now = isoTime(state);
  const refund: EmulatedRefund = {
    id: paypalId(17),
    captureId: c.id,
    status: pending ? 'PENDING' : 'COMPLETED',
    statusReason: pending ? 'ECHECK' : null,
    currency: c.currency,
    amountMinor: amount,
    note: typeof body.note_to_payer === 'string' ? body.note_to_payer : null,
    invoiceId: typeof body.invoice_id === 'string' ? body.invoice_id : null,
    customId: typeof body.custom_id === 'string' ? body.custom_id : null,
    reversal: false,
    createTime: now,
    updateTime: now,
  };
  state.refunds.set(refund.id, refund);
  c.refundIds.push(refund.id);
  c.refundedMinor += amount;
  if (!pending) refunded(state, c, refund);
  return { status: 201, body: refundJson(state, refund, representation) };
}

/** A refund took effect: the capture's status follows the completed refunds, and the app hears of it. */
function refunded(state: PayPalEmulatorState, c: EmulatedCapture, r: EmulatedRefund): void {
  const done = c.refundIds.reduce((sum, id) => {
    const x = state.refunds.get(id);
    return x?.status === 'COMPLETED' ? sum + x.amountMinor : sum;
  }, 0n);
  c.status = done >= c.amountMinor ? 'REFUNDED' : done > 0n ? 'PARTIALLY_REFUNDED' : c.status;
  c.updateTime = isoTime(state);
  const type = r.reversal ? 'PAYMENT.CAPTURE.REVERSED' : 'PAYMENT.CAPTURE.REFUNDED';
  emitEvent(
    state,
    type,
    'refund',
    refundJson(state, r, true),
    `A ${label(r.amountMinor, r.currency)} capture payment was ${r.reversal ? 'reversed' : 'refunded'}`,
  );
}

function captureOrThrow(state: PayPalEmulatorState, captureId: string, allowed: readonly string[]): EmulatedCapture {
  const c = state.captures.get(captureId);
  if (!c) throw new Error(`No capture ${captureId}`);
  if (!allowed.includes(c.status))
    throw new Error(`Capture ${captureId} is ${c.status}, expected ${allowed.join(' or ')}`);
  return c;
}

/** A PENDING capture clears: COMPLETED, with a PAYMENT.CAPTURE.COMPLETED webhook. */
export function completePending(state: PayPalEmulatorState, captureId: string): void {
  const c = captureOrThrow(state, captureId, ['PENDING']);
  c.status = 'COMPLETED';
  c.statusReason = null;
  c.updateTime = isoTime(state);
  emitEvent(
    state,
    'PAYMENT.CAPTURE.COMPLETED',
    'capture',
    captureJson(state, c, true),
    `Payment completed for ${label(c.amountMinor, c.currency)}`,
  );
}

/** A PENDING capture is denied: DECLINED, with a PAYMENT.CAPTURE.DENIED webhook. */
export function denyPending(state: PayPalEmulatorState, captureId: string): void {
  const c = captureOrThrow(state, captureId, ['PENDING']);
  c.status = 'DECLINED';
  c.statusReason = null;
  c.feeMinor = 0n;
  c.updateTime = isoTime(state);
  emitEvent(
    state,
    'PAYMENT.CAPTURE.DENIED',
    'capture',
    captureJson(state, c, true),
    `Payment denied for ${label(c.amountMinor, c.currency)}`,
  );
}

/** A chargeback takes back what was not yet refunded: capture REFUNDED (reason CHARGEBACK), PAYMENT.CAPTURE.REVERSED. */
export function reverseCapture(state: PayPalEmulatorState, captureId: string): void {
  const c = captureOrThrow(state, captureId, ['COMPLETED', 'PARTIALLY_REFUNDED']);
  const now = isoTime(state);
  const amount = c.amountMinor - c.refundedMinor;
  if (amount <= 0n) throw new Error(`Capture ${captureId} has nothing left to reverse`);
  const reversal: EmulatedRefund = {
    id: paypalId(17),
    captureId: c.id,
    status: 'COMPLETED',
    statusReason: null,
    currency: c.currency,
    amountMinor: amount,
    note: 'Payment reversed (chargeback)',
    invoiceId: null,
    customId: c.customId,
    reversal: true,
    createTime: now,
    updateTime: now,
  };
  state.refunds.set(reversal.id, reversal);
  c.refundIds.push(reversal.id);
  c.refundedMinor += amount;
  c.statusReason = 'CHARGEBACK';
  refunded(state, c, reversal);
}

/** A PENDING refund goes through: COMPLETED, the capture's status follows, PAYMENT.CAPTURE.REFUNDED. */
export function completeRefund(state: PayPalEmulatorState, refundId: string): void {
  const r = state.refunds.get(refundId);
  if (!r || r.status !== 'PENDING') throw new Error(`No pending refund ${refundId}`);
  r.status = 'COMPLETED';
  r.statusReason = null;
  r.updateTime = isoTime(state);
  refunded(state, state.captures.get(r.captureId)!, r);
}
