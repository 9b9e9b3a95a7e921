import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';

/**
 * The ledger's promises, checked against the database (after every integration test, before a
 * test database is dropped, and by an admin report): every wallet's balance is the sum of its
 * entries and its last running balance; every transaction sums to zero; no wallet went below
 * zero in a posting that did not allow it. And what the ledger must agree with:
 *   - a payment that was credited (completed, refunded or reversed) has exactly one top-up
 *     posting, any other payment none, and every top-up posting credits a payment;
 *   - a payment's `refunded_amount` is what PayPal gave back: its completed refunds to PayPal
 *     plus PayPal's own returns (chargebacks, dashboard refunds: its `top_up_reversal`s).
 * Returns one line per violation; empty means all is well.
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
     where e.balance_after < 0 and e.amount < 0 and not t.allow_negative
    union all
    select 'payment ' || p.id || ' is ' || p.status || ' with ' || count(t.id) || ' top-up postings'
      from payments p left join ledger_transactions t on t.kind = 'top_up' and t.details->>'payment_id' = p.id::text
     group by p.id
    having count(t.id) <> case when p.status in ('completed', 'refunded', 'reversed') then 1 else 0 end
    union all
    select 'top-up posting ' || t.id || ' credits no payment'
      from ledger_transactions t left join payments p on p.id::text = t.details->>'payment_id'
     where t.kind = 'top_up' and p.id is null
    union all
    select 'payment ' || p.id || ': refunded_amount ' || p.refunded_amount || ' but its completed refunds to PayPal sum to '
           || coalesce(r.total, 0) || ' and PayPal''s own returns to ' || coalesce(x.total, 0)
      from payments p
      left join (select payment_id, sum(amount) as total from refunds where destination = 'paypal' and status = 'completed' group by payment_id) r
             on r.payment_id = p.id
      left join (select t.details->>'payment_id' as payment_id, sum(e.amount) as total
                   from ledger_transactions t join ledger_entries e on e.transaction_id = t.id and e.platform_account = 'paypal_clearing'
                  where t.kind = 'top_up_reversal' group by 1) x
             on x.payment_id = p.id::text
     where p.refunded_amount <> coalesce(r.total, 0) + coalesce(x.total, 0)`.execute(db);
  return rows.map((r) => r.problem);
}
