import { z } from '@hono/zod-openapi';
import { TOTAL_CATEGORIES } from '../../../../domain/invoices/lines.ts';
import {
  invoiceSections,
  type Invoice as InvoiceRow,
  type InvoiceSummary as SummaryRow,
} from '../../../../domain/invoices/query.ts';
import { toDecimal } from '../../../../lib/money.ts';
import { Money, pathParam, Timestamp } from '../schemas.ts';

const dec = (m: bigint) => toDecimal(m, 2);
/** Line amounts exactly (hourly charges are fractions of a cent): 2 digits when whole cents, else all 6. */
const exact = (m: bigint) => toDecimal(m, m % 10_000n === 0n ? 2 : 6);
const iso = (d: Date | null) => (d ? d.toISOString() : null);

const Party = z
  .object({
    name: z.string(),
    address: z.string().nullable(),
    tax_id: z.string().nullable(),
    email: z.string().nullable(),
  })
  .openapi('InvoiceParty');

export const InvoiceSummary = z
  .object({
    id: z.uuid(),
    number: z
      .string()
      .openapi({ example: 'INV-2026-000042', description: 'Sequential per year of issue, without gaps.' }),
    kind: z.enum(['receipt', 'statement']).openapi({
      description: '`receipt`: one completed top-up; `statement`: one calendar month (UTC) of wallet activity.',
    }),
    currency: z.string().length(3).openapi({ example: 'USD' }),
    total: Money.openapi({ description: 'Receipt: the amount paid. Statement: the month’s charges.' }),
    period_start: Timestamp.nullable().openapi({ description: 'Statements: the first instant of the month (UTC).' }),
    period_end: Timestamp.nullable().openapi({
      description: 'Statements: the first instant after the month (exclusive).',
    }),
    payment_id: z.uuid().nullable().openapi({ description: 'Receipts: the top-up payment.' }),
    issued_at: Timestamp,
  })
  .openapi('InvoiceSummary');

const Line = z
  .object({
    type: z.enum(['item', 'transaction', 'server_usage']).openapi({
      description:
        '`item`: what a receipt is for; `transaction`: one ledger transaction on a statement; `server_usage`: a server’s hourly charges of the month summed (with `server_id` and `hours`, no balance).',
    }),
    date: Timestamp.nullable(),
    description: z.string(),
    kind: z
      .string()
      .nullable()
      .openapi({ example: 'vps_charge', description: 'Statements: the ledger transaction kind.' }),
    amount: Money.openapi({
      description:
        'Signed (positive adds to the wallet), exact: 2 decimals, or 6 when not whole cents (hourly charges).',
    }),
    balance: Money.nullable().openapi({ description: 'Statements: the wallet balance after this line.' }),
    server_id: z.uuid().optional().openapi({ description: '`server_usage` lines: the server.' }),
    hours: z.number().int().optional().openapi({ description: '`server_usage` lines: clock hours charged.' }),
  })
  .openapi('InvoiceLine');

export const Invoice = InvoiceSummary.extend({
  seller: Party.openapi({ description: 'As it was when the invoice was issued.' }),
  buyer: Party.openapi({ description: 'The organization as it was when the invoice was issued.' }),
  lines: z.array(Line),
  opening_balance: Money.nullable().openapi({ description: 'Statements only.' }),
  closing_balance: Money.nullable().openapi({ description: 'Statements only.' }),
  totals: z
    .object(
      Object.fromEntries(TOTAL_CATEGORIES.map((k) => [k, Money])) as Record<
        (typeof TOTAL_CATEGORIES)[number],
        typeof Money
      >,
    )
    .nullable()
    .openapi({
      description: 'Statements only: signed sums by category; opening + credits + charges + refunds = closing.',
    }),
}).openapi('Invoice');

export function presentSummary(i: SummaryRow): z.infer<typeof InvoiceSummary> {
  return InvoiceSummary.parse({
    id: i.id,
    number: i.number,
    kind: i.kind,
    currency: i.currency,
    total: dec(i.total),
    period_start: iso(i.period_start),
    period_end: iso(i.period_end),
    payment_id: i.payment_id,
    issued_at: i.issued_at.toISOString(),
  });
}

export function presentInvoice(i: InvoiceRow): z.infer<typeof Invoice> {
  const s = invoiceSections(i.lines);
  const statement = i.kind === 'statement';
  return Invoice.parse({
    ...presentSummary(i),
    seller: i.seller,
    buyer: i.buyer,
    lines: [
      ...s.items.map((l) => ({
        type: 'item',
        date: iso(l.date),
        description: l.description,
        kind: null,
        amount: exact(l.amount),
        balance: null,
      })),
      ...s.transactions.map((l) => ({
        type: 'transaction',
        date: l.date.toISOString(),
        description: l.description,
        kind: l.kind,
        amount: exact(l.amount),
        balance: dec(l.balance),
      })),
      ...s.servers.map((l) => ({
        type: 'server_usage',
        date: l.date.toISOString(),
        description: l.description,
        kind: 'vps_charge',
        amount: exact(l.amount),
        balance: null,
        server_id: l.server_id,
        hours: l.hours,
      })),
    ],
    opening_balance: s.opening ? dec(s.opening.balance) : null,
    closing_balance: s.closing ? dec(s.closing.balance) : null,
    totals: statement ? Object.fromEntries(TOTAL_CATEGORIES.map((k) => [k, dec(s.totalOf(k))])) : null,
  });
}

export const InvoiceParams = z.object({ id: pathParam('id', 'Invoice id.') });
