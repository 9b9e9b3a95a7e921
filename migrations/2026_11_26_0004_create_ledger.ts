import { type Kysely, sql } from 'kysely';

// Frozen history: the double-entry, append-only ledger (BILLING.md "Ledger").
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table ledger_transactions (
      id uuid primary key default gen_random_uuid(),
      -- PayPal capture id, refund id, adjustment id, (instance, hour)…: a second posting with
      -- the same key is the same posting.
      idempotency_key text not null unique check (length(idempotency_key) between 1 and 200),
      kind text not null check (kind in (
        'top_up', 'top_up_reversal', 'refund', 'adjustment', 'promotional_credit',
        'vps_charge', 'vps_refund', 'egress_charge', 'hosting_charge', 'hosting_refund')),
      organization_id uuid references organizations (id),
      currency char(3) not null,
      description text not null,
      -- true when a wallet line may take the balance below zero (usage, or an admin's choice)
      allow_negative boolean not null default false,
      created_by uuid references users (id),
      details jsonb not null default '{}',
      created_at timestamptz not null default now()
    );
    create index ledger_transactions_org_idx on ledger_transactions (organization_id, created_at desc);

    create table ledger_entries (
      id uuid primary key default gen_random_uuid(),
      -- insertion order; taken after the wallet row lock, so it orders each wallet's entries
      seq bigint generated always as identity unique,
      transaction_id uuid not null references ledger_transactions (id),
      -- exactly one of: an organization's wallet, or a platform account
      wallet_id uuid references wallets (id),
      platform_account text check (platform_account in (
        'paypal_clearing', 'vps_revenue', 'egress_revenue', 'hosting_revenue', 'refunds', 'adjustments', 'promotional_credit')),
      amount bigint not null check (amount <> 0),
      -- the wallet's balance right after this entry (wallet lines only): the running balance
      balance_after bigint,
      created_at timestamptz not null default now(),
      check ((wallet_id is null) <> (platform_account is null)),
      check ((wallet_id is null) = (balance_after is null))
    );
    create index ledger_entries_tx_idx on ledger_entries (transaction_id);
    create index ledger_entries_wallet_idx on ledger_entries (wallet_id, seq) where wallet_id is not null;

    create function ledger_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'the ledger is append-only: post a reversing entry instead';
    end $$;
    create trigger ledger_transactions_append_only before update or delete on ledger_transactions
      for each row execute function ledger_append_only();
    create trigger ledger_entries_append_only before update or delete on ledger_entries
      for each row execute function ledger_append_only();

    -- Every transaction balances, checked at commit (after all of its lines are in).
    create function ledger_transaction_balances() returns trigger language plpgsql as $$
    declare total numeric;
    begin
      select sum(amount) into total from ledger_entries where transaction_id = new.transaction_id;
      if total <> 0 then
        raise exception 'ledger transaction % does not balance (sum %)', new.transaction_id, total;
      end if;
      return null;
    end $$;
    create constraint trigger ledger_entries_balance after insert on ledger_entries
      deferrable initially deferred for each row execute function ledger_transaction_balances();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table ledger_entries; drop table ledger_transactions;
    drop function ledger_transaction_balances(); drop function ledger_append_only();
  `.execute(db);
}
