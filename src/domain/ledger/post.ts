import { sql } from 'kysely';
import type { Tx } from '../../db/index.ts';
import { publish } from '../../db/notify.ts';
import type { LedgerKind, PlatformAccount } from '../../db/types.ts';
import { AppError } from '../../lib/errors.ts';

/** The realtime event a posting that moves a wallet publishes to its organization's billing viewers. */
export const WALLET_TOPIC = 'wallet';

/**
 * The one way money moves (BILLING.md "Ledger"). A posting is a balanced set of lines with a
 * unique idempotency key, written in the caller's transaction together with a guarded update
 * of each wallet it touches:
 *
 *   UPDATE wallets SET balance = balance + :amount
 *   WHERE id = :wallet AND (:amount >= 0 OR :allowNegative OR balance + :amount >= 0)
 *
 * so two concurrent debits can never both spend the same money, and a wallet's balance is
 * always the sum of its entries. Posting the same key again with the same lines returns the
 * first posting and changes nothing; with other lines it is refused (`LedgerKeyConflictError`):
 * a key names one movement of money, so reusing it for another is a bug or a stale form, never
 * a retry to be answered with the old posting.
 */
export type Line = { walletId: string; amount: bigint } | { account: PlatformAccount; amount: bigint };

export interface Posting {
  idempotencyKey: string;
  kind: LedgerKind;
  organizationId: string | null;
  currency: string;
  description: string;
  lines: Line[];
  /** Usage that already happened, or an admin's explicit choice: wallets may go below zero. */
  allowNegative?: boolean;
  createdBy?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

export interface Posted {
  transactionId: string;
  /** true when this key was posted before: nothing changed now. */
  duplicate: boolean;
  /** Each touched wallet's balance after the posting (the current one for a duplicate). */
  balances: Map<string, bigint>;
}

export class InsufficientFundsError extends AppError {
  constructor(message = 'The wallet balance does not cover this.') {
    super('insufficient_funds', 422, message, { amount: message });
  }
}

/** The idempotency key was posted before with other lines: nothing was written now. */
export class LedgerKeyConflictError extends AppError {
  constructor(readonly idempotencyKey: string) {
    super(
      'idempotency_conflict',
      409,
      'This was already recorded with different amounts. Reload the page and try again.',
    );
  }
}

/** A posting's lines as a comparable text: one `wallet|account=amount` per line, sorted. */
const lineSet = (lines: Array<{ wallet: string | null; account: string | null; amount: bigint }>) =>
  lines
    .map((l) => `${l.wallet ?? ''}|${l.account ?? ''}=${l.amount}`)
    .sort()
    .join(',');

export async function post(trx: Tx, p: Posting): Promise<Posted> {
  if (!p.lines.length) throw new Error('a posting needs lines');
  if (p.lines.reduce((sum, l) => sum + l.amount, 0n) !== 0n)
    throw new Error(`posting ${p.idempotencyKey} does not balance`);
  if (p.lines.some((l) => l.amount === 0n)) throw new Error('a ledger line cannot be zero');

  const inserted = await trx
    .insertInto('ledger_transactions')
    .values({
      idempotency_key: p.idempotencyKey,
      kind: p.kind,
      organization_id: p.organizationId,
      currency: p.currency,
      description: p.description,
      allow_negative: p.allowNegative ?? false,
      created_by: p.createdBy ?? null,
      details: JSON.stringify(p.details ?? {}),
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .executeTakeFirst();

  const walletIds = [...new Set(p.lines.flatMap((l) => ('walletId' in l ? [l.walletId] : [])))].sort();
  if (!inserted) {
    const existing = await trx
      .selectFrom('ledger_transactions')
      .select('id')
      .where('idempotency_key', '=', p.idempotencyKey)
      .executeTakeFirstOrThrow();
    const before = await trx
      .selectFrom('ledger_entries')
      .select(['wallet_id', 'platform_account', 'amount'])
      .where('transaction_id', '=', existing.id)
      .execute();
    const now = p.lines.map((l) =>
      'walletId' in l
        ? { wallet: l.walletId, account: null, amount: l.amount }
        : { wallet: null, account: l.account, amount: l.amount },
    );
    if (
      lineSet(before.map((e) => ({ wallet: e.wallet_id, account: e.platform_account, amount: e.amount }))) !==
      lineSet(now)
    )
      throw new LedgerKeyConflictError(p.idempotencyKey);
    const rows = walletIds.length
      ? await trx.selectFrom('wallets').select(['id', 'balance']).where('id', 'in', walletIds).execute()
      : [];
    return { transactionId: existing.id, duplicate: true, balances: new Map(rows.map((r) => [r.id, r.balance])) };
  }

  // Wallets in id order: two postings touching the same wallets lock them in the same order.
  const balances = new Map<string, bigint>();
  const entries: Array<{
    transaction_id: string;
    wallet_id: string | null;
    platform_account: PlatformAccount | null;
    amount: bigint;
    balance_after: bigint | null;
  }> = [];
  const organizations = new Set<string>();
  for (const walletId of walletIds) {
    const amount = p.lines.reduce((sum, l) => sum + ('walletId' in l && l.walletId === walletId ? l.amount : 0n), 0n);
    const row = await trx
      .updateTable('wallets')
      .set({ balance: sql`balance + ${amount}` })
      .where('id', '=', walletId)
      .where('currency', '=', p.currency)
      .where(
        sql<boolean>`(${amount}::bigint >= 0 or ${p.allowNegative ?? false}::boolean or balance + ${amount}::bigint >= 0)`,
      )
      .returning(['balance', 'organization_id'])
      .executeTakeFirst();
    if (!row) throw new InsufficientFundsError();
    balances.set(walletId, row.balance);
    organizations.add(row.organization_id);
  }
  // Running balances: a wallet with several lines gets them in order.
  const running = new Map(
    [...balances].map(([id, after]) => {
      const total = p.lines.reduce((sum, l) => sum + ('walletId' in l && l.walletId === id ? l.amount : 0n), 0n);
      return [id, after - total];
    }),
  );
  for (const line of p.lines) {
    if ('walletId' in line) {
      const after = running.get(line.walletId)! + line.amount;
      running.set(line.walletId, after);
      entries.push({
        transaction_id: inserted.id,
        wallet_id: line.walletId,
        platform_account: null,
        amount: line.amount,
        balance_after: after,
      });
    } else {
      entries.push({
        transaction_id: inserted.id,
        wallet_id: null,
        platform_account: line.account,
        amount: line.amount,
        balance_after: null,
      });
    }
  }
  await trx.insertInto('ledger_entries').values(entries).execute();
  // Pages showing a balance (the header, the billing page) re-read it: a hint, sent at commit.
  for (const organizationId of organizations)
    await publish(trx, {
      topic: WALLET_TOPIC,
      audience: { organizationId, permission: 'billing_view' },
      data: { transaction_id: inserted.id },
    });
  return { transactionId: inserted.id, duplicate: false, balances };
}
