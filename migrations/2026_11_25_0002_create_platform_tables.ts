import { type Kysely, sql } from 'kysely';

// Frozen history: mail outbox, job run records, rate-limit counters, overrides and IP rules.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table emails (
      id uuid primary key default gen_random_uuid(),
      to_address text not null,
      subject text not null,
      html text not null,
      text text not null,
      template text not null,
      -- queued: waiting for the mail job; sent: handed to the transport; failed: gave up
      status text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
      transport text,
      provider_message_id text,
      attempts integer not null default 0,
      last_error text,
      created_at timestamptz not null default now(),
      sent_at timestamptz
    );
    create index emails_created_idx on emails (created_at desc);
    create index emails_to_idx on emails (to_address, created_at desc);

    create table job_runs (
      id uuid primary key default gen_random_uuid(),
      queue text not null,
      job_id text,
      -- running: started, not finished; succeeded / failed: finished, with summary or error
      status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
      summary jsonb not null default '{}',
      error text,
      started_at timestamptz not null default now(),
      finished_at timestamptz
    );
    create index job_runs_queue_idx on job_runs (queue, started_at desc);

    create table rate_limit_counters (
      key text not null,
      window_start timestamptz not null,
      count integer not null default 0,
      primary key (key, window_start)
    );
    create index rate_limit_counters_window_idx on rate_limit_counters (window_start);

    create table rate_limit_overrides (
      user_id uuid primary key references users (id) on delete cascade,
      max_requests integer not null check (max_requests > 0),
      note text,
      created_at timestamptz not null default now()
    );

    create table ip_rules (
      id uuid primary key default gen_random_uuid(),
      network cidr not null unique,
      -- allow: never rate limited; block: every request refused
      action text not null check (action in ('allow', 'block')),
      note text,
      created_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table ip_rules, rate_limit_overrides, rate_limit_counters, job_runs, emails`.execute(db);
}
