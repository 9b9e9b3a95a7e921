import type { Tx } from '../../db/index.ts';
import { toDecimal } from '../../lib/money.ts';
import { emitWebhookEvent } from '../webhooks/emit.ts';
import { writeLines, type InvoiceLine } from './lines.ts';
import { nextInvoiceNumber } from './numbering.ts';
import type { Party } from './parties.ts';

/** An invoice about to be issued: everything but its number. */
export interface InvoiceDraft {
  organizationId: string;
  kind: 'receipt' | 'statement';
  currency: string;
  total: bigint;
  periodStart?: Date | null;
  periodEnd?: Date | null;
  paymentId?: string | null;
  seller: Party;
  buyer: Party;
  lines: InvoiceLine[];
  /** Explicit issue date (tests, back-dating is not a feature); default: the transaction's clock. */
  issuedAt?: Date | null;
}

/**
 * Numbers and writes an invoice in `trx`. Callers check idempotency (an existing receipt for
 * the payment, statement for the month) before calling: the number is taken first, and a
 * unique violation afterwards rolls the whole transaction back, number included.
 */
export async function insertInvoice(trx: Tx, d: InvoiceDraft): Promise<{ id: string; number: string }> {
  const { number, issuedAt } = await nextInvoiceNumber(trx, d.issuedAt ?? null);
  const invoice = await trx
    .insertInto('invoices')
    .values({
      number,
      organization_id: d.organizationId,
      kind: d.kind,
      currency: d.currency,
      total: d.total,
      period_start: d.periodStart ?? null,
      period_end: d.periodEnd ?? null,
      payment_id: d.paymentId ?? null,
      seller: JSON.stringify(d.seller),
      buyer: JSON.stringify(d.buyer),
      lines: writeLines(d.lines),
      issued_at: issuedAt,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  await emitWebhookEvent(trx, {
    organizationId: d.organizationId,
    type: 'invoice.issued',
    key: `invoice.issued:${invoice.id}`,
    data: {
      invoice_id: invoice.id,
      number: invoice.number,
      kind: d.kind,
      total: toDecimal(d.total, 6),
      currency: d.currency,
      payment_id: d.paymentId ?? null,
      period_start: d.periodStart?.toISOString() ?? null,
      period_end: d.periodEnd?.toISOString() ?? null,
    },
  });
  return invoice;
}
