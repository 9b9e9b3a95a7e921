import { type Kysely, sql } from 'kysely';

// Frozen history: network transfer (egress) billing (src/domain/transfer). Byte counts are
// exact integers (bigint bytes); money is integer micro-units. A region pool is
// (provider, region): the plans' included transfer pools per organization within it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Runs of the hourly reading job and of the month close, for staff.
    create table transfer_runs (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('hourly', 'close')),
      -- hourly: the clock hour read; close: the first hour of the month closed
      period_start timestamptz not null,
      status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
      trigger text not null check (trigger in ('schedule', 'catch_up', 'admin', 'test')),
      worker text,
      servers_read integer not null default 0 check (servers_read >= 0),
      read_errors integer not null default 0 check (read_errors >= 0),
      pools_charged integer not null default 0 check (pools_charged >= 0),
      bytes_charged bigint not null default 0 check (bytes_charged >= 0),
      credit_bytes bigint not null default 0 check (credit_bytes >= 0),
      amount bigint not null default 0 check (amount >= 0),
      errors jsonb not null default '[]',
      duration_ms integer check (duration_ms >= 0),
      started_at timestamptz not null default now(),
      finished_at timestamptz
    );
    create index transfer_runs_recent on transfer_runs (started_at desc, id desc);

    -- One reading per server and clock hour: the provider's month-to-date counter as read.
    create table transfer_readings (
      server_id uuid not null references servers (id),
      hour_start timestamptz not null check (hour_start = date_trunc('hour', hour_start)),
      -- the UTC month the reading belongs to (the month it was taken in)
      month date not null check (month = date_trunc('month', month)),
      organization_id uuid not null references organizations (id),
      provider_id uuid not null references cloud_providers (id),
      region text not null,
      used_bytes bigint not null check (used_bytes >= 0),
      read_at timestamptz not null default now(),
      run_id uuid references transfer_runs (id),
      primary key (server_id, hour_start),
      check (month = date_trunc('month', hour_start at time zone 'UTC')::date)
    );
    create index transfer_readings_pool on transfer_readings (organization_id, month, provider_id, region);
    create index transfer_readings_month on transfer_readings (month);

    -- Per server and month, the greatest reading so far, kept by a trigger on every reading, so
    -- runs and pages add up one row per server instead of every hour's reading.
    create table transfer_server_months (
      server_id uuid not null references servers (id),
      month date not null check (month = date_trunc('month', month)),
      organization_id uuid not null references organizations (id),
      provider_id uuid not null references cloud_providers (id),
      region text not null,
      used_bytes bigint not null check (used_bytes >= 0),
      last_hour timestamptz not null,
      primary key (server_id, month)
    );
    create index transfer_server_months_pool on transfer_server_months (month, organization_id, provider_id, region);
    create function transfer_reading_summary() returns trigger language plpgsql as $$
    begin
      insert into transfer_server_months (server_id, month, organization_id, provider_id, region, used_bytes, last_hour)
      values (new.server_id, new.month, new.organization_id, new.provider_id, new.region, new.used_bytes, new.hour_start)
      on conflict (server_id, month) do update
        set used_bytes = greatest(transfer_server_months.used_bytes, excluded.used_bytes),
            last_hour = greatest(transfer_server_months.last_hour, excluded.last_hour);
      return null;
    end $$;
    create trigger transfer_readings_summary after insert on transfer_readings
      for each row execute function transfer_reading_summary();
    -- Readings are facts as read: never changed or removed.
    create function transfer_readings_frozen() returns trigger language plpgsql as $$
    begin
      raise exception 'transfer readings are never changed or deleted';
    end $$;
    create trigger transfer_readings_frozen before update or delete on transfer_readings
      for each row execute function transfer_readings_frozen();

    -- Per-region overage price per GB (micro-units); a region without a row uses the default.
    create table transfer_region_prices (
      provider_id uuid not null references cloud_providers (id),
      region_id text not null,
      price_per_gb bigint not null check (price_per_gb >= 0),
      currency char(3) not null,
      updated_by uuid references users (id) on delete set null,
      updated_at timestamptz not null default now(),
      primary key (provider_id, region_id)
    );

    create table transfer_packs (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 80),
      size_gb integer not null check (size_gb > 0 and size_gb <= 1000000),
      price bigint not null check (price > 0),
      currency char(3) not null,
      active boolean not null default true,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    -- Prepaid transfer per organization, drawn oldest first before the wallet.
    create table transfer_credits (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id),
      source text not null check (source in ('pack', 'grant', 'close_return')),
      pack_id uuid references transfer_packs (id),
      ledger_transaction_id uuid references ledger_transactions (id),
      reason text,
      granted_by uuid references users (id) on delete set null,
      total_bytes bigint not null check (total_bytes > 0),
      remaining_bytes bigint not null check (remaining_bytes >= 0 and remaining_bytes <= total_bytes),
      -- names one grant or purchase: a retried form or request creates it once
      idempotency_key text not null unique,
      created_at timestamptz not null default now(),
      check (source <> 'pack' or (pack_id is not null and ledger_transaction_id is not null)),
      check (source <> 'grant' or (reason is not null and granted_by is not null))
    );
    create index transfer_credits_open on transfer_credits (organization_id, created_at, id) where remaining_bytes > 0;

    -- Overage accrued per organization, region pool and clock hour (only hours that accrued).
    create table transfer_accruals (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id),
      provider_id uuid not null references cloud_providers (id),
      region text not null,
      hour_start timestamptz not null check (hour_start = date_trunc('hour', hour_start)),
      month date not null,
      used_bytes bigint not null check (used_bytes >= 0),
      included_bytes bigint not null check (included_bytes >= 0),
      -- overage this month up to this hour, and the part new in this hour
      overage_bytes bigint not null check (overage_bytes >= 0),
      billed_bytes bigint not null check (billed_bytes > 0),
      credit_bytes bigint not null check (credit_bytes >= 0),
      wallet_bytes bigint not null check (wallet_bytes >= 0),
      price_per_gb bigint not null check (price_per_gb >= 0),
      amount bigint not null check (amount >= 0),
      currency char(3) not null,
      ledger_transaction_id uuid references ledger_transactions (id),
      run_id uuid references transfer_runs (id),
      created_at timestamptz not null default now(),
      unique (organization_id, provider_id, region, hour_start),
      check (credit_bytes + wallet_bytes = billed_bytes)
    );
    create index transfer_accruals_month on transfer_accruals (organization_id, month);

    -- The month's close per organization and region pool: written once, never billed again.
    create table transfer_month_closes (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id),
      provider_id uuid not null references cloud_providers (id),
      region text not null,
      month date not null check (month = date_trunc('month', month)),
      used_bytes bigint not null check (used_bytes >= 0),
      included_bytes bigint not null check (included_bytes >= 0),
      overage_bytes bigint not null check (overage_bytes >= 0),
      accrued_bytes bigint not null check (accrued_bytes >= 0),
      -- overage - accrued: charged when positive, returned as transfer credit when negative
      delta_bytes bigint not null,
      credit_bytes bigint not null default 0 check (credit_bytes >= 0),
      wallet_bytes bigint not null default 0 check (wallet_bytes >= 0),
      price_per_gb bigint not null check (price_per_gb >= 0),
      amount bigint not null default 0 check (amount >= 0),
      currency char(3) not null,
      ledger_transaction_id uuid references ledger_transactions (id),
      returned_credit_id uuid references transfer_credits (id),
      run_id uuid references transfer_runs (id),
      closed_at timestamptz not null default now(),
      unique (organization_id, provider_id, region, month)
    );
    create index transfer_month_closes_month on transfer_month_closes (month);

    -- Which credits paid for which accrual or close.
    create table transfer_credit_draws (
      id uuid primary key default gen_random_uuid(),
      credit_id uuid not null references transfer_credits (id),
      accrual_id uuid references transfer_accruals (id),
      close_id uuid references transfer_month_closes (id),
      bytes bigint not null check (bytes > 0),
      created_at timestamptz not null default now(),
      check ((accrual_id is null) <> (close_id is null))
    );
    create index transfer_credit_draws_credit on transfer_credit_draws (credit_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table transfer_credit_draws;
    drop table transfer_month_closes;
    drop table transfer_accruals;
    drop table transfer_credits;
    drop table transfer_packs;
    drop table transfer_region_prices;
    drop table transfer_server_months;
    drop table transfer_readings;
    drop function transfer_reading_summary();
    drop function transfer_readings_frozen();
    drop table transfer_runs;
  `.execute(db);
}
