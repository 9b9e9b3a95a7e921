import type { LedgerKind } from '../../db/types.ts';

/**
 * What an invoice's `lines` jsonb holds. Money is stored as strings of integer micro-units
 * ("25000000" = 25.00), never as JSON numbers, so it round-trips exactly; `read` turns them
 * back into bigint. The stored shape is part of issued (immutable) invoices: add new line
 * types, never change or remove one.
 *
 * Receipts have `item` lines. Statements have, in order: one `opening_balance`, one
 * `transaction` per ledger transaction on the wallet in the month (with the running balance
 * after it), one `server_usage` per server whose hourly charges were folded out of the
 * transactions (issue 12: hours and amount for the month, no running balance), one
 * `closing_balance`, then one `total` per category (see statements.ts).
 */
export const TOTAL_CATEGORIES = ['credits', 'charges', 'refunds'] as const;
export type TotalCategory = (typeof TOTAL_CATEGORIES)[number];

export type InvoiceLine =
  | { type: 'item'; description: string; amount: bigint; date: Date | null }
  | { type: 'opening_balance'; description: string; date: Date; balance: bigint }
  | {
      type: 'transaction';
      description: string;
      date: Date;
      kind: LedgerKind;
      amount: bigint;
      balance: bigint;
      transaction_id: string;
    }
  | {
      type: 'server_usage';
      description: string;
      /** The last posting folded into the line. */
      date: Date;
      server_id: string;
      label: string;
      /** Clock hours charged (capped, zero hours included). */
      hours: number;
      /** Signed, as on the wallet: negative. */
      amount: bigint;
    }
  | { type: 'closing_balance'; description: string; date: Date; balance: bigint }
  | { type: 'total'; description: string; category: TotalCategory; amount: bigint };

/**
 * Fraction digits for a line's amount shown to people: 2, or 4 when it is not whole cents (an
 * hourly charge), as for hourly rates (BILLING.md "Units and rounding"). Balances and totals
 * are always shown with 2.
 */
export function lineDigits(amount: bigint): 2 | 4 {
  return amount % 10_000n === 0n ? 2 : 4;
}

/** Lines as stored: bigints and dates become strings. */
export function writeLines(lines: InvoiceLine[]): string {
  return JSON.stringify(lines, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

const MONEY_FIELDS = ['amount', 'balance'] as const;

/** Stored lines back into typed lines (bigint money, Date dates). */
export function readLines(raw: ReadonlyArray<Record<string, unknown>>): InvoiceLine[] {
  return raw.map((stored) => {
    const line: Record<string, unknown> = { ...stored };
    for (const f of MONEY_FIELDS) if (typeof line[f] === 'string') line[f] = BigInt(line[f] as string);
    if (typeof line.date === 'string') line.date = new Date(line.date);
    if (line.type === 'item' && line.date === undefined) line.date = null;
    return line as InvoiceLine;
  });
}
