import type { DbOrTx } from '../../db/index.ts';
import { z } from 'zod';
import { likePattern } from '../../db/like.ts';
import { offsetOf, pageCount, pageNumber } from '../../db/paging.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';

/**
 * Staff reads of wallets (issue 4 item 12): every organization's wallet, and one
 * organization's ledger with running balances. Each starts with `requirePlatformAdmin`.
 * Staff adjustments are in adjustments.ts; staff reads of payments in payments/admin.ts.
 */
export const WALLETS_PER_PAGE = 50;

const walletListInput = z.object({ q: z.string().trim().max(200).catch(''), page: pageNumber });

export async function listWallets(db: DbOrTx, actor: Actor, raw: unknown) {
  requirePlatformAdmin(actor);
  const filters = walletListInput.parse(raw ?? {});
  const { limit, offset } = offsetOf(filters.page, WALLETS_PER_PAGE);
  let q = db.selectFrom('wallets as w').innerJoin('organizations as o', 'o.id', 'w.organization_id');
  if (filters.q) q = q.where('o.name', 'ilike', likePattern(filters.q));
  const [rows, count] = await Promise.all([
    q
      .select(['o.id', 'o.name', 'o.personal', 'w.balance', 'w.currency'])
      .orderBy('o.name')
      .orderBy('o.id')
      .limit(limit)
      .offset(offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return { wallets: rows, filters, total, pages: pageCount(total, WALLETS_PER_PAGE) };
}

/** One organization's wallet and a page of its ledger lines, newest first, with who made each. */
export async function organizationLedger(db: DbOrTx, actor: Actor, organizationId: string, raw: unknown) {
  requirePlatformAdmin(actor);
  const page = pageNumber.parse((raw as { page?: unknown } | undefined)?.page);
  const { limit, offset } = offsetOf(page, WALLETS_PER_PAGE);
  const organization = isUuid(organizationId)
    ? await db
        .selectFrom('organizations as o')
        .innerJoin('wallets as w', 'w.organization_id', 'o.id')
        .select(['o.id', 'o.name', 'w.id as wallet_id', 'w.balance', 'w.currency'])
        .where('o.id', '=', organizationId)
        .executeTakeFirst()
    : undefined;
  if (!organization) throw new NotFoundError('No such organization.');
  const base = db.selectFrom('ledger_entries as e').where('e.wallet_id', '=', organization.wallet_id);
  const [lines, count] = await Promise.all([
    base
      .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
      .leftJoin('users as u', 'u.id', 't.created_by')
      .select([
        't.id as transaction_id',
        'e.id as entry_id',
        't.kind',
        't.description',
        'e.amount',
        'e.balance_after',
        't.created_at',
        'u.name as created_by_name',
        'u.email as created_by_email',
        't.details',
      ])
      .orderBy('e.seq', 'desc')
      .limit(limit)
      .offset(offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return { organization, lines, page, total, pages: pageCount(total, WALLETS_PER_PAGE) };
}
