import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import type { LedgerKind } from '../../db/types.ts';
import { ValidationError } from '../../lib/errors.ts';
import type { Deps } from '../deps.ts';
import { mailStatementReady } from '../notifications/billing-mail.ts';
import { insertInvoice } from './issue.ts';
import type { InvoiceLine, TotalCategory } from './lines.ts';
import { buyerDetails, sellerDetails } from './parties.ts';
import { serverUsage } from './usage.ts';

/**
 * Monthly statements (BILLING.md "Invoices"): for one organization and one closed UTC
 * calendar month, every ledger transaction on its wallet in that month in posting order, with
 * the running balance after each, the opening and closing balances, and the month's totals
 * of credits, charges and refunds (opening + credits + charges + refunds = closing). The
 * statement's `total` is the month's charges, as a positive amount. One statement per
 * organization and month (`unique (organization_id, kind, period_start)`): issuing again
 * returns the first.
 */

/** Which total each ledger kind counts in. Every kind is listed: the map is checked by the compiler. */
export const CATEGORY_OF: Record<LedgerKind, TotalCategory> = {
  top_up: 'credits', // PayPal money in
  top_up_reversal: 'credits', // a credited top-up taken back (denied, reversed)
  promotional_credit: 'credits',
  adjustment: 'credits', // an admin's credit or debit, with a reason
  vps_charge: 'charges',
  egress_charge: 'charges',
  hosting_charge: 'charges',
  vps_refund: 'refunds', // unused minutes of a deleted server
  hosting_refund: 'refunds',
  refund: 'refunds', // money paid back to PayPal, or a credit note to the wallet
};

const TOTAL_LABELS: Record<TotalCategory, string> = {
  credits: 'Top-ups, credits and adjustments',
  charges: 'Charges',
  refunds: 'Refunds',
};

export interface Month {
  /** `YYYY-MM` */
  month: string;
  start: Date;
  /** Exclusive: the first instant of the next month. */
  end: Date;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** A `YYYY-MM` month as UTC instants; 422 on `month` when malformed. */
export function parseMonth(month: string): Month {
  const m = MONTH.exec(month);
  if (!m) throw new ValidationError({ month: 'Use a month as YYYY-MM.' });
  const [y, mo] = [Number(m[1]), Number(m[2])];
  return { month, start: new Date(Date.UTC(y, mo - 1, 1)), end: new Date(Date.UTC(y, mo, 1)) };
}

/** The calendar month (UTC) before the one `now` is in, as `YYYY-MM`. */
export function previousMonth(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * The statement of `organizationId` for `month` (`YYYY-MM`, UTC), issued now, or the one
 * issued before (`duplicate: true`). Only a month that has ended by `deps.clock` is refused
 * otherwise (422).
 */
export async function issueStatement(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'queue'>,
  organizationId: string,
  month: string,
): Promise<{ id: string; number: string; duplicate: boolean }> {
  const period = parseMonth(month);
  const now = deps.clock.now();
  if (period.end > now) throw new ValidationError({ month: 'A statement is issued only for a month that has ended.' });
  const existing = () => findStatement(deps.db, organizationId, period.start);
  const before = await existing();
  if (before) return { ...before, duplicate: true };
  try {
    const issued = await inTransaction(deps.db, async (trx) => {
      const wallet = await trx
        .selectFrom('wallets')
        .select(['id', 'currency'])
        .where('organization_id', '=', organizationId)
        .executeTakeFirstOrThrow();
      const lines = await statementLines(trx, { walletId: wallet.id, organizationId }, period);
      const charges = lines.find((l) => l.type === 'total' && l.category === 'charges');
      const invoice = await insertInvoice(trx, {
        organizationId,
        kind: 'statement',
        currency: wallet.currency,
        total: charges?.type === 'total' ? -charges.amount : 0n,
        periodStart: period.start,
        periodEnd: period.end,
        seller: await sellerDetails(trx, deps.config.BRAND_NAME),
        buyer: await buyerDetails(trx, organizationId),
        lines,
        issuedAt: now,
      });
      const mail = { organizationId, invoice, periodStart: period.start, currency: wallet.currency, lines };
      await mailStatementReady(deps, trx, mail);
      return invoice;
    });
    return { ...issued, duplicate: false };
  } catch (err) {
    // Issued concurrently by another run: its statement stands; ours rolled back with its number.
    const raced = (err as { code?: string }).code === '23505' ? await existing() : undefined;
    if (raced) return { ...raced, duplicate: true };
    throw err;
  }
}

function findStatement(db: DbOrTx, organizationId: string, periodStart: Date) {
  return db
    .selectFrom('invoices')
    .select(['id', 'number'])
    .where('organization_id', '=', organizationId)
    .where('kind', '=', 'statement')
    .where('period_start', '=', periodStart)
    .executeTakeFirst();
}

/** The statement's lines, read from the wallet's ledger entries (hourly server charges folded per server: usage.ts). */
async function statementLines(
  db: DbOrTx,
  { walletId, organizationId }: { walletId: string; organizationId: string },
  period: Month,
): Promise<InvoiceLine[]> {
  const opening = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<bigint | null>('amount'), sql<bigint>`0`).as('total'))
    .where('wallet_id', '=', walletId)
    .where('created_at', '<', period.start)
    .executeTakeFirstOrThrow();
  // One line per ledger transaction (a posting may have several lines on one wallet), in the
  // order the wallet's row lock gave them (seq).
  const rows = await db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
    .select(['t.id', 't.kind', 't.description', 't.created_at'])
    .select((eb) => [eb.fn.sum<bigint>('e.amount').as('amount'), eb.fn.min<bigint>('e.seq').as('first_seq')])
    .where('e.wallet_id', '=', walletId)
    .where('e.created_at', '>=', period.start)
    .where('e.created_at', '<', period.end)
    .groupBy('t.id')
    .orderBy('first_seq')
    .execute();

  const usage = await serverUsage(
    db,
    organizationId,
    period,
    rows.map((r) => ({ id: r.id, kind: r.kind, amount: BigInt(r.amount), created_at: r.created_at })),
  );

  let balance = BigInt(opening.total);
  const totals: Record<TotalCategory, bigint> = { credits: 0n, charges: 0n, refunds: 0n };
  const lines: InvoiceLine[] = [
    { type: 'opening_balance', description: 'Opening balance', date: period.start, balance },
  ];
  for (const r of rows) {
    const amount = BigInt(r.amount);
    balance += amount;
    totals[CATEGORY_OF[r.kind]] += amount;
    // Folded into its server's line below; the running balance after the next line still counts it.
    if (usage.folded.has(r.id)) continue;
    lines.push({
      type: 'transaction',
      description: r.description,
      date: r.created_at,
      kind: r.kind,
      amount,
      balance,
      transaction_id: r.id,
    });
  }
  lines.push(...usage.lines);
  lines.push({ type: 'closing_balance', description: 'Closing balance', date: period.end, balance });
  for (const category of ['credits', 'charges', 'refunds'] as const)
    lines.push({ type: 'total', description: TOTAL_LABELS[category], category, amount: totals[category] });
  return lines;
}

/** Organizations whose wallet moved in `month` (`YYYY-MM`): those that get a statement. */
export async function organizationsWithActivity(db: DbOrTx, month: string): Promise<string[]> {
  const period = parseMonth(month);
  const rows = await db
    .selectFrom('ledger_entries as e')
    .innerJoin('wallets as w', 'w.id', 'e.wallet_id')
    .select('w.organization_id')
    .distinct()
    .where('e.created_at', '>=', period.start)
    .where('e.created_at', '<', period.end)
    .orderBy('w.organization_id')
    .execute();
  return rows.map((r) => r.organization_id);
}

/**
 * Issues `month`'s statement for every organization with ledger activity in it; safe to run
 * again (existing statements are kept). One organization's failure does not stop the others;
 * failures are thrown together at the end so the run is retried.
 */
export async function issueMonthlyStatements(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'queue'>, month: string) {
  const failures: string[] = [];
  let issued = 0;
  let existing = 0;
  const organizations = await organizationsWithActivity(deps.db, month);
  for (const organizationId of organizations) {
    try {
      const s = await issueStatement(deps, organizationId, month);
      if (s.duplicate) existing++;
      else issued++;
    } catch (err) {
      failures.push(`${organizationId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (failures.length)
    throw new Error(`statements for ${month} failed for ${failures.length} organization(s):\n${failures.join('\n')}`);
  return { month, organizations: organizations.length, issued, existing };
}
