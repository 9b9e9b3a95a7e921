import { z } from 'zod';

/**
 * The PayPal wire shapes SkyPanel reads (Orders v2, Payments v2, Webhooks v1; see
 * `specs/paypal.md`). Objects are loose: PayPal adds fields freely, and we keep what it sent.
 * Amounts stay the decimal strings PayPal sends; converting them to micro-units is the
 * domain's job (`src/lib/money.ts`), never a float.
 */

/** Decimal string as PayPal writes money: "25.00", "1000" (JPY). No sign, no exponent. */
const decimal = z.string().regex(/^\d{1,15}(\.\d{1,6})?$/, 'must be a decimal string');

export const moneySchema = z.looseObject({ currency_code: z.string().regex(/^[A-Z]{3}$/), value: decimal });
export type PayPalMoney = z.infer<typeof moneySchema>;

export const linkSchema = z.looseObject({ href: z.string(), rel: z.string(), method: z.string().optional() });
export type PayPalLink = z.infer<typeof linkSchema>;

/** Order statuses (Orders v2 §4.1). `COMPLETED` only means a capture was attempted. */
export const ORDER_STATUSES = ['CREATED', 'SAVED', 'APPROVED', 'VOIDED', 'COMPLETED', 'PAYER_ACTION_REQUIRED'] as const;
export type PayPalOrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Capture statuses. Only `COMPLETED` means the money arrived; `PENDING` may complete or be
 * denied later (webhook); `DECLINED`/`FAILED` never carried money; the refunded states follow
 * a refund or a reversal (chargeback).
 */
export const CAPTURE_STATUSES = [
  'COMPLETED',
  'DECLINED',
  'PARTIALLY_REFUNDED',
  'PENDING',
  'REFUNDED',
  'FAILED',
] as const;
export type PayPalCaptureStatus = (typeof CAPTURE_STATUSES)[number];

export const REFUND_STATUSES = ['CANCELLED', 'FAILED', 'PENDING', 'COMPLETED'] as const;
export type PayPalRefundStatus = (typeof REFUND_STATUSES)[number];

const statusDetails = z.looseObject({ reason: z.string() });

export const captureSchema = z.looseObject({
  id: z.string().min(1),
  status: z.enum(CAPTURE_STATUSES),
  status_details: statusDetails.optional(),
  amount: moneySchema,
  final_capture: z.boolean().optional(),
  custom_id: z.string().optional(),
  invoice_id: z.string().optional(),
  seller_receivable_breakdown: z
    .looseObject({ gross_amount: moneySchema, paypal_fee: moneySchema.optional(), net_amount: moneySchema.optional() })
    .optional(),
  /** Present on captures read directly or delivered by webhook: the order they belong to. */
  supplementary_data: z
    .looseObject({ related_ids: z.looseObject({ order_id: z.string().optional() }).optional() })
    .optional(),
  links: z.array(linkSchema).optional(),
  create_time: z.string().optional(),
  update_time: z.string().optional(),
});
export type PayPalCapture = z.infer<typeof captureSchema>;

export const refundSchema = z.looseObject({
  id: z.string().min(1),
  status: z.enum(REFUND_STATUSES),
  status_details: statusDetails.optional(),
  amount: moneySchema.optional(),
  note_to_payer: z.string().optional(),
  invoice_id: z.string().optional(),
  custom_id: z.string().optional(),
  seller_payable_breakdown: z.looseObject({ total_refunded_amount: moneySchema.optional() }).optional(),
  /** `rel: "up"` points at the refunded capture. */
  links: z.array(linkSchema).optional(),
  create_time: z.string().optional(),
  update_time: z.string().optional(),
});
export type PayPalRefund = z.infer<typeof refundSchema>;

export const purchaseUnitSchema = z.looseObject({
  reference_id: z.string().optional(),
  amount: moneySchema.optional(),
  custom_id: z.string().optional(),
  invoice_id: z.string().optional(),
  description: z.string().optional(),
  payments: z
    .looseObject({ captures: z.array(captureSchema).optional(), refunds: z.array(refundSchema).optional() })
    .optional(),
});
export type PayPalPurchaseUnit = z.infer<typeof purchaseUnitSchema>;

export const orderSchema = z.looseObject({
  id: z.string().min(1),
  status: z.enum(ORDER_STATUSES),
  intent: z.string().optional(),
  purchase_units: z.array(purchaseUnitSchema).optional(),
  payer: z.looseObject({ payer_id: z.string().optional(), email_address: z.string().optional() }).optional(),
  payment_source: z.record(z.string(), z.unknown()).optional(),
  links: z.array(linkSchema).optional(),
  create_time: z.string().optional(),
  update_time: z.string().optional(),
});
export type PayPalOrder = z.infer<typeof orderSchema>;

/** The REST error envelope (§3); OAuth errors use `{error, error_description}` instead. */
export interface PayPalErrorDetail {
  issue: string;
  field?: string;
  value?: string;
  location?: string;
  description?: string;
}

/** Webhook event types SkyPanel cares about (§6.1). */
export const WEBHOOK_EVENT_TYPES = [
  'CHECKOUT.ORDER.APPROVED',
  'CHECKOUT.ORDER.COMPLETED',
  'CHECKOUT.PAYMENT-APPROVAL.REVERSED',
  'PAYMENT.CAPTURE.COMPLETED',
  'PAYMENT.CAPTURE.PENDING',
  'PAYMENT.CAPTURE.DENIED',
  'PAYMENT.CAPTURE.DECLINED',
  'PAYMENT.CAPTURE.REFUNDED',
  'PAYMENT.CAPTURE.REVERSED',
] as const;
export type PayPalWebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const webhookEventSchema = z.looseObject({
  id: z.string().min(1),
  event_type: z.string().min(1),
  resource_type: z.string(),
  create_time: z.string(),
  event_version: z.string().optional(),
  resource_version: z.string().optional(),
  summary: z.string().optional(),
  resource: z.record(z.string(), z.unknown()),
  links: z.array(linkSchema).optional(),
});
export type PayPalWebhookEvent = z.infer<typeof webhookEventSchema>;
