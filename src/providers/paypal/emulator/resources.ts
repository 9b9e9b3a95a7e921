import {
  money,
  type EmulatedCapture,
  type EmulatedOrder,
  type EmulatedRefund,
  type PayPalEmulatorState,
} from './state.ts';

/**
 * JSON representations in PayPal's shapes (Orders v2 §4, Payments v2 §5), with HATEOAS links
 * that point back at the emulator. The approval link goes to the emulator's own page, never to
 * a PayPal host.
 */

const MERCHANT = { email_address: 'merchant@example.com', merchant_id: 'EMULATORMERCH' };

export function approvalUrl(state: PayPalEmulatorState, orderId: string): string {
  return `${state.baseUrl}/checkoutnow?token=${encodeURIComponent(orderId)}`;
}

export function orderJson(state: PayPalEmulatorState, o: EmulatedOrder, full: boolean): Record<string, unknown> {
  const self = `${state.baseUrl}/v2/checkout/orders/${o.id}`;
  const links: Array<{ href: string; rel: string; method: string }> = [{ href: self, rel: 'self', method: 'GET' }];
  if (o.status === 'PAYER_ACTION_REQUIRED')
    links.push({ href: approvalUrl(state, o.id), rel: 'payer-action', method: 'GET' });
  if (o.status === 'CREATED') links.push({ href: approvalUrl(state, o.id), rel: 'approve', method: 'GET' });
  if (o.status === 'CREATED' || o.status === 'APPROVED') {
    links.push(
      { href: self, rel: 'update', method: 'PATCH' },
      { href: `${self}/capture`, rel: 'capture', method: 'POST' },
    );
  }
  const p = state.payer;
  const paymentSource = o.payerApproved
    ? {
        paypal: {
          email_address: p.email,
          account_id: p.payerId,
          account_status: 'VERIFIED',
          name: { given_name: p.givenName, surname: p.surname },
          address: { country_code: 'US' },
        },
      }
    : { paypal: {} };
  const withSource = o.flow === 'experience_context' || o.payerApproved;
  if (!full) return { id: o.id, status: o.status, ...(withSource ? { payment_source: paymentSource } : {}), links };

  const captures = o.captureIds.map((id) => state.captures.get(id)).filter((c): c is EmulatedCapture => !!c);
  const refunds = captures.flatMap((c) =>
    c.refundIds.map((id) => state.refunds.get(id)).filter((r): r is EmulatedRefund => !!r),
  );
  const unit: Record<string, unknown> = { ...o.purchaseUnit, payee: MERCHANT };
  if (captures.length) {
    unit.payments = {
      captures: captures.map((c) => captureJson(state, c, false)),
      ...(refunds.length ? { refunds: refunds.map((r) => refundJson(state, r, true)) } : {}),
    };
  }
  return {
    id: o.id,
    intent: 'CAPTURE',
    status: o.status,
    ...(withSource ? { payment_source: paymentSource } : {}),
    purchase_units: [unit],
    ...(o.payerApproved
      ? {
          payer: {
            name: { given_name: p.givenName, surname: p.surname },
            email_address: p.email,
            payer_id: p.payerId,
            address: { country_code: 'US' },
          },
        }
      : {}),
    create_time: o.createTime,
    update_time: o.updateTime,
    links,
  };
}

/** `standalone`: read directly or sent by webhook, so it names its order (supplementary_data). */
export function captureJson(
  state: PayPalEmulatorState,
  c: EmulatedCapture,
  standalone: boolean,
): Record<string, unknown> {
  const self = `${state.baseUrl}/v2/payments/captures/${c.id}`;
  const json: Record<string, unknown> = {
    id: c.id,
    status: c.status,
    ...(c.statusReason ? { status_details: { reason: c.statusReason } } : {}),
    amount: money(c.amountMinor, c.currency),
    final_capture: true,
    seller_protection: { status: 'ELIGIBLE', dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'] },
    ...(c.status === 'DECLINED' || c.status === 'FAILED'
      ? {}
      : {
          seller_receivable_breakdown: {
            gross_amount: money(c.amountMinor, c.currency),
            paypal_fee: money(c.feeMinor, c.currency),
            net_amount: money(c.amountMinor - c.feeMinor, c.currency),
          },
        }),
    ...(c.customId ? { custom_id: c.customId } : {}),
    ...(c.invoiceId ? { invoice_id: c.invoiceId } : {}),
    links: [
      { href: self, rel: 'self', method: 'GET' },
      { href: `${self}/refund`, rel: 'refund', method: 'POST' },
      { href: `${state.baseUrl}/v2/checkout/orders/${c.orderId}`, rel: 'up', method: 'GET' },
    ],
    create_time: c.createTime,
    update_time: c.updateTime,
  };
  if (standalone) json.supplementary_data = { related_ids: { order_id: c.orderId } };
  return json;
}

export function refundJson(state: PayPalEmulatorState, r: EmulatedRefund, full: boolean): Record<string, unknown> {
  const links = [
    { href: `${state.baseUrl}/v2/payments/refunds/${r.id}`, rel: 'self', method: 'GET' },
    { href: `${state.baseUrl}/v2/payments/captures/${r.captureId}`, rel: 'up', method: 'GET' },
  ];
  if (!full) return { id: r.id, status: r.status, links };
  const capture = state.captures.get(r.captureId);
  return {
    id: r.id,
    amount: money(r.amountMinor, r.currency),
    ...(r.note ? { note_to_payer: r.note } : {}),
    seller_payable_breakdown: {
      gross_amount: money(r.amountMinor, r.currency),
      paypal_fee: money(0n, r.currency),
      net_amount: money(r.amountMinor, r.currency),
      total_refunded_amount: money(capture?.refundedMinor ?? r.amountMinor, r.currency),
    },
    ...(r.invoiceId ? { invoice_id: r.invoiceId } : {}),
    ...(r.customId ? { custom_id: r.customId } : {}),
    status: r.status,
    ...(r.statusReason ? { status_details: { reason: r.statusReason } } : {}),
    create_time: r.createTime,
    update_time: r.updateTime,
    links,
  };
}
