import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';

/**
 * The ledger's promises, checked against the database (after every integration test and by
 * an admin report): every wallet's balance is the sum of its entries and its last running
 * balance; every transaction sums to zero; no wallet went below zero in a posting that did
 * not allow it. Returns one line per violation; empty means all is well.
 */
export async function checkLedgerInvariants(db: DbOrTx): Promise<string[]> {
  const { rows } = await sql<{ problem: string }>`
    select 'wallet ' || w.id || ': balance ' || w.balance || ' but entries sum to ' || coalesce(e.total, 0) as problem
      from wallets w
      left join (select wallet_id, sum(amount) as total from ledger_entries where wallet_id is not null group by wallet_id) e on e.wallet_id = w.id
     where w.balance <> coalesce(e.total, 0)
    union all
    select 'wallet ' || w.id || ': balance ' || w.balance || ' but last running balance ' || last.balance_after
      from wallets w
      join lateral (select balance_after from ledger_entries where wallet_id = w.id order by seq desc limit 1) last on true
     where last.balance_after <> w.balance
    union all
    select 'transaction ' || t.id || ' sums to ' || coalesce(sum(e.amount), 0)
      from ledger_transactions t left join ledger_entries e on e.transaction_id = t.id
     group by t.id having coalesce(sum(e.amount), 0) <> 0 or count(e.id) = 0
    union all
    select 'entry ' || e.id || ' took wallet ' || e.wallet_id || ' to ' || e.balance_after || ' without allowing a negative balance'
      from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
     where e.balance_after < 0 and e.amount < 0 and not t.allow_negative`.execute(db);
  return rows.map((r) => r.problem);
}
