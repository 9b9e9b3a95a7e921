import { sql } from 'kysely';
import type { Tx } from '../../db/index.ts';

/**
 * Invoice numbers: `INV-<year>-<six digits>`, sequential per (UTC) year of issue, without
 * gaps. The next number is taken in the issuing transaction by an upsert on the year's row of
 * `invoice_sequences`: the row lock it takes serializes issuers until commit, and a
 * transaction that rolls back gives its number back with it, so no number is skipped or
 * used twice. Keep the issuing transaction short after calling this: every other issuer of
 * the same year waits for it.
 */
export async function nextInvoiceNumber(trx: Tx, issuedAt: Date | null): Promise<{ number: string; issuedAt: Date }> {
  // With no explicit date, the transaction's own clock decides the year and the issue date.
  const at = sql<Date>`coalesce(${issuedAt}::timestamptz, now())`;
  const { rows } = await sql<{ year: number; last_number: number; issued_at: Date }>`
    insert into invoice_sequences as s (year, last_number)
    values (extract(year from ${at} at time zone 'UTC')::int, 1)
    on conflict (year) do update set last_number = s.last_number + 1
    returning s.year, s.last_number, ${at} as issued_at`.execute(trx);
  const row = rows[0]!;
  return { number: formatInvoiceNumber(row.year, row.last_number), issuedAt: row.issued_at };
}

/** `INV-2026-000042`. */
export function formatInvoiceNumber(year: number, n: number): string {
  return `INV-${year}-${String(n).padStart(6, '0')}`;
}
