import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { invalidCursor, keysetPage, type PageRequest } from '../../db/paging.ts';
import type { LedgerKind, PaymentStatus } from '../../db/types.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import { can, type Actor } from '../access/actor.ts';
import { startOfDay } from '../activity/dates.ts';
import { receiptOf } from '../invoices/receipts.ts';
import { LEDGER_KINDS } from '../ledger/kinds.ts';

/**
 * An organization's wallet as its members see it (pages and API alike): the balance, and the
 * ledger lines that moved it, each with the running balance it left (`balance_after`), newest
 * first. Needs `billing_view` (403); another organization's transaction is not found (404).
 * Lines are keyset-paginated on the entry's `seq` (the order the balance really changed in);
 * the cursor is the last line's seq.
 */

export interface Wallet {
  id: string;
  organizationId: string;
  balance: bigint;
  currency: string;
}

/** The actor's organization's wallet, if the actor may see its billing. */
export async function walletFor(db: DbOrTx, actor: Actor): Promise<Wallet> {
  const organizationId = billingOrganizationOf(actor);
  const w = await db
    .selectFrom('wallets')
    .select(['id', 'balance', 'currency'])
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return { id: w.id, organizationId, balance: w.balance, currency: w.currency };
}

/** The actor's organization, if the actor may see its billing (walletFor's checks, for reads that find the wallet themselves). */
export function billingOrganizationOf(actor: Actor): string {
  if (!actor.organizationId) throw new NotFoundError('You do not belong to an organization yet.');
  if (!can(actor, 'billing_view'))
    throw new ForbiddenError("Seeing the organization's billing needs the billing_view permission.");
  return actor.organizationId;
}

export interface TransactionFilter {
  kind?: LedgerKind;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  before?: Date;
}

const day = z.iso.date({ error: 'Use a date like 2026-01-31.' });
export const transactionFilterInput = z.object({
  kind: z.enum(LEDGER_KINDS, { error: 'Choose a type from the list.' }).optional(),
  from: day.optional(),
  to: day.optional(),
});

/** Filter fields as typed (blank = any) → a filter; `from`/`to` are whole days in `timeZone`, both included. */
export function parseTransactionFilter(raw: Record<string, unknown>, timeZone: string): TransactionFilter {
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== undefined && v !== null));
  const input = parseInput(transactionFilterInput, present);
  const from = input.from ? startOfDay(input.from, timeZone) : undefined;
  const before = input.to ? startOfDay(input.to, timeZone, 1) : undefined;
  if (from && before && before <= from) throw new ValidationError({ to: 'The end is before the start.' });
  return { kind: input.kind, from, before };
}

export interface WalletLine {
  transactionId: string;
  entryId: string;
  /** Keyset cursor for the page after this line. */
  cursor: string;
  kind: LedgerKind;
  description: string;
  /** Signed: positive added to the wallet. */
  amount: bigint;
  balanceAfter: bigint;
  createdAt: Date;
}

const CURSOR = /^\d{1,19}$/;

/** One page of the wallet's lines, newest first, and the cursor of the next page (null on the last). */
export async function listWalletLines(db: DbOrTx, wallet: Wallet, filter: TransactionFilter, page: PageRequest) {
  if (page.cursor && !CURSOR.test(page.cursor)) throw invalidCursor();
  let q = db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
    .select([
      't.id as transaction_id',
      'e.id as entry_id',
      'e.seq',
      't.kind',
      't.description',
      'e.amount',
      'e.balance_after',
      't.created_at',
    ])
    .where('e.wallet_id', '=', wallet.id);
  if (filter.kind) q = q.where('t.kind', '=', filter.kind);
  if (filter.from) q = q.where('t.created_at', '>=', filter.from);
  if (filter.before) q = q.where('t.created_at', '<', filter.before);
  if (page.cursor) q = q.where('e.seq', '<', BigInt(page.cursor));
  const rows = await q
    .orderBy('e.seq', 'desc')
    .limit(page.limit + 1)
    .execute();
  const lines: WalletLine[] = rows.map((r) => ({
    transactionId: r.transaction_id,
    entryId: r.entry_id,
    cursor: String(r.seq),
    kind: r.kind,
    description: r.description,
    amount: r.amount,
    balanceAfter: r.balance_after ?? 0n,
    createdAt: r.created_at,
  }));
  const { rows: kept, nextCursor } = keysetPage(lines, page.limit, (l) => l.cursor);
  return { lines: kept, nextCursor };
}

export interface WalletTransaction {
  id: string;
  kind: LedgerKind;
  description: string;
  createdAt: Date;
  /** What it did to this wallet, and the balance it left. */
  amount: bigint;
  balanceAfter: bigint;
  createdBy: string | null;
  details: Record<string, unknown>;
  payment: {
    id: string;
    status: PaymentStatus;
    amount: bigint;
    currency: string;
    captureId: string | null;
    orderId: string | null;
  } | null;
  receipt: { id: string; number: string } | null;
}

/** One ledger transaction that touched the wallet; any other id (another organization's too) is 404. */
export async function getWalletTransaction(db: DbOrTx, wallet: Wallet, id: string): Promise<WalletTransaction> {
  const t = isUuid(id)
    ? await db
        .selectFrom('ledger_transactions as t')
        .leftJoin('users as u', 'u.id', 't.created_by')
        .select(['t.id', 't.kind', 't.description', 't.created_at', 't.details', 'u.name as created_by'])
        .where('t.id', '=', id)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('ledger_entries')
              .select('id')
              .where('transaction_id', '=', id)
              .where('wallet_id', '=', wallet.id),
          ),
        )
        .executeTakeFirst()
    : undefined;
  if (!t) throw new NotFoundError('No such transaction.');
  const lines = await db
    .selectFrom('ledger_entries')
    .select(['amount', 'balance_after'])
    .where('transaction_id', '=', t.id)
    .where('wallet_id', '=', wallet.id)
    .orderBy('seq')
    .execute();
  const paymentId =
    typeof t.details.payment_id === 'string' && isUuid(t.details.payment_id) ? t.details.payment_id : null;
  const payment = paymentId
    ? await db
        .selectFrom('payments')
        .select(['id', 'status', 'amount', 'currency', 'capture_id', 'provider_order_id'])
        .where('id', '=', paymentId)
        .where('organization_id', '=', wallet.organizationId)
        .executeTakeFirst()
    : undefined;
  const receipt = payment ? await receiptOf(db, payment.id) : null;
  return {
    id: t.id,
    kind: t.kind,
    description: t.description,
    createdAt: t.created_at,
    createdBy: t.created_by,
    details: t.details,
    amount: lines.reduce((sum, l) => sum + l.amount, 0n),
    balanceAfter: lines[lines.length - 1]?.balance_after ?? 0n,
    payment: payment
      ? {
          id: payment.id,
          status: payment.status,
          amount: payment.amount,
          currency: payment.currency,
          captureId: payment.capture_id,
          orderId: payment.provider_order_id,
        }
      : null,
    receipt,
  };
}
