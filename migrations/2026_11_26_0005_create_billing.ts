import { type Kysely, sql } from 'kysely';

// Frozen history: top-up payments, refunds, webhook deliveries, API idempotency keys, fraud
// checks, platform settings and invoices.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table platform_settings (
      key text primary key,
      value jsonb not null,
      updated_by uuid references users (id),
      updated_at timestamptz not null default now()
    );

    create table fraud_checks (
      id uuid primary key default gen_random_uuid(),
      subject text not null check (subject in ('registration', 'top_up')),
      user_id uuid references users (id) on delete set null,
      organization_id uuid references organizations (id) on delete set null,
      email text,
      ip text,
      amount bigint,
      currency char(3),
      -- approve / review / reject: the screening's decision; allowed / blocked: an admin's
      -- decision on a check held for review; skipped: screening off or unreachable (fail-open)
      status text not null check (status in ('approve', 'review', 'reject', 'allowed', 'blocked', 'skipped')),
      score integer,
      reasons text[] not null default '{}',
      provider_transaction_id text,
      details jsonb not null default '{}',
      decided_by uuid references users (id),
      decided_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index fraud_checks_status_idx on fraud_checks (status, created_at desc);

    create table payments (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id),
      created_by uuid references users (id),
      provider text not null default 'paypal' check (provider in ('paypal')),
      provider_order_id text unique,
      capture_id text unique,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      -- held: waiting for fraud review (no PayPal order yet); created: order made, buyer not
      -- back; pending: captured but PayPal holds the funds; completed: credited;
      -- cancelled: buyer cancelled or the order expired; denied / failed: no money;
      -- refunded / reversed: money went back (a reversal entry exists)
      status text not null check (status in ('held', 'created', 'pending', 'completed', 'cancelled', 'denied', 'failed', 'refunded', 'reversed')),
      fraud_check_id uuid references fraud_checks (id),
      refunded_amount bigint not null default 0 check (refunded_amount >= 0 and refunded_amount <= amount),
      failure_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      completed_at timestamptz
    );
    create index payments_org_idx on payments (organization_id, created_at desc);

    create table refunds (
      id uuid primary key default gen_random_uuid(),
      payment_id uuid not null references payments (id),
      amount bigint not null check (amount > 0),
      -- paypal: back to the buyer's PayPal (the wallet is debited); wallet: credit note to the wallet
      destination text not null check (destination in ('paypal', 'wallet')),
      -- pending: asked PayPal, no answer yet; completed; failed (nothing moved)
      status text not null check (status in ('pending', 'completed', 'failed')),
      request_id text not null unique,
      provider_refund_id text unique,
      reason text not null,
      created_by uuid references users (id),
      failure_reason text,
      created_at timestamptz not null default now(),
      completed_at timestamptz
    );
    create index refunds_payment_idx on refunds (payment_id);

    create table webhook_deliveries (
      id uuid primary key default gen_random_uuid(),
      provider text not null,
      event_id text not null,
      event_type text not null,
      verified boolean not null,
      -- processed / ignored (not a type we act on) / rejected (bad signature) / failed
      outcome text not null check (outcome in ('processed', 'ignored', 'rejected', 'failed', 'duplicate')),
      error text,
      payload jsonb not null,
      received_at timestamptz not null default now()
    );
    -- An event is acted on once; later deliveries of it are recorded as duplicates.
    create unique index webhook_deliveries_once on webhook_deliveries (provider, event_id) where outcome in ('processed', 'ignored');

    create table idempotency_keys (
      key text not null,
      user_id uuid not null references users (id) on delete cascade,
      endpoint text not null,
      request_hash text not null,
      -- in_flight: the first request is still running; done: its answer is stored
      status text not null check (status in ('in_flight', 'done')),
      response_status integer,
      response_body jsonb,
      created_at timestamptz not null default now(),
      primary key (user_id, key)
    );

    create table invoice_sequences (
      year integer primary key,
      last_number integer not null
    );

    create table invoices (
      id uuid primary key default gen_random_uuid(),
      number text not null unique,
      organization_id uuid not null references organizations (id),
      -- receipt: one completed top-up; statement: a calendar month of ledger activity
      kind text not null check (kind in ('receipt', 'statement')),
      currency char(3) not null,
      total bigint not null,
      period_start timestamptz,
      period_end timestamptz,
      payment_id uuid unique references payments (id),
      seller jsonb not null,
      buyer jsonb not null,
      lines jsonb not null,
      issued_at timestamptz not null default now(),
      unique (organization_id, kind, period_start)
    );
    create index invoices_org_idx on invoices (organization_id, issued_at desc);

    -- Issued invoices never change (BILLING.md "Invoices").
    create function invoices_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'issued invoices never change';
    end $$;
    create trigger invoices_immutable before update or delete on invoices
      for each row execute function invoices_immutable();

    create table reconciliation_findings (
      id uuid primary key default gen_random_uuid(),
      run_date date not null,
      capture_id text,
      payment_id uuid references payments (id),
      problem text not null,
      details jsonb not null default '{}',
      created_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table reconciliation_findings, invoices, invoice_sequences, idempotency_keys, webhook_deliveries, refunds, payments, fraud_checks, platform_settings;
    drop function invoices_immutable();
  `.execute(db);
}
