import { type Kysely, sql } from 'kysely';

// Frozen history: runs of the hourly billing engine (src/domain/metering/hourly.ts), one
// clock hour each, and the link from a charge row to the run that wrote it (null for the
// first hour, which the create charges).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table billing_runs (
      id uuid primary key default gen_random_uuid(),
      hour_start timestamptz not null check (hour_start = date_trunc('hour', hour_start)),
      status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed')),
      trigger text not null check (trigger in ('schedule', 'catch_up', 'admin')),
      requested_by uuid references users (id) on delete set null,
      -- hostname:pid of the process that ran it
      worker text,
      instances_charged integer not null default 0 check (instances_charged >= 0),
      amount bigint not null default 0 check (amount >= 0),
      currency char(3) not null,
      -- charges recorded at zero because the monthly cap was reached
      zero_charges integer not null default 0 check (zero_charges >= 0),
      -- servers of the hour not charged by this run, counted by reason
      skipped integer not null default 0 check (skipped >= 0),
      skipped_reasons jsonb not null default '{}',
      errors jsonb not null default '[]',
      duration_ms integer check (duration_ms >= 0),
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    -- One run of an hour at a time: a second start while one is queued or running is refused.
    create unique index billing_runs_one_active on billing_runs (hour_start) where status in ('queued', 'running');
    create index billing_runs_recent on billing_runs (created_at desc, id desc);
    create index billing_runs_succeeded on billing_runs (hour_start desc) where status = 'succeeded';

    alter table server_charges add column billing_run_id uuid references billing_runs (id);
    create index server_charges_run_idx on server_charges (billing_run_id) where billing_run_id is not null;
    -- the run's selection: servers of an hour without a charge
    create index servers_billing_idx on servers (created_at) include (deleted_at, status, organization_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index servers_billing_idx;
    alter table server_charges drop column billing_run_id;
    drop table billing_runs;
  `.execute(db);
}
