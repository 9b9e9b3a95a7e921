import { type Kysely, sql } from 'kysely';

// Frozen history: dunning (BILLING.md "Dunning", src/domain/dunning). One case per stretch of
// arrears of an organization (opened when its balance is seen below zero, lifted when it is
// back at or above zero), and the append-only history of the steps taken for it. A step that
// is done is done once per case (and key: the notice's number, the server, the deadline); a
// failed attempt is recorded as one more row and tried again by the next run.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table dunning_cases (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id),
      -- when the balance was first seen below zero: the clock of every later step
      arrears_since timestamptz not null,
      last_notice_at timestamptz,
      notices integer not null default 0 check (notices >= 0),
      -- the organization's servers were powered off and marked suspended (null again when an
      -- exemption or a later deadline gave them back before the balance did)
      suspended_at timestamptz,
      final_notice_at timestamptz,
      -- the deletion time the final notice announced (a later deadline needs a notice of its own)
      final_notice_deadline timestamptz,
      terminated_at timestamptz,
      -- staff: not suspended or deleted while in these arrears (notices still go out)
      exempt_reason text check (length(exempt_reason) between 1 and 500),
      exempted_by uuid references users (id) on delete set null,
      exempted_at timestamptz,
      -- staff: deletion not before this time; suspension moves by the same amount
      extended_until timestamptz,
      extended_by uuid references users (id) on delete set null,
      extended_at timestamptz,
      extend_reason text check (length(extend_reason) between 1 and 500),
      -- the balance was back at or above zero: the case is closed
      lifted_at timestamptz,
      -- a run working on the case holds it until then (two runs never act on one case at once)
      claimed_until timestamptz,
      created_at timestamptz not null default now(),
      check ((exempt_reason is null) = (exempted_at is null))
    );
    -- One open case per organization.
    create unique index dunning_cases_open on dunning_cases (organization_id) where lifted_at is null;
    create index dunning_cases_org on dunning_cases (organization_id, arrears_since desc);

    create table dunning_steps (
      id uuid primary key default gen_random_uuid(),
      -- the order steps were recorded in (several share one run's time)
      seq bigint generated always as identity,
      case_id uuid not null references dunning_cases (id),
      organization_id uuid not null references organizations (id),
      step text not null check (step in ('opened', 'arrears_notice', 'suspend_server', 'suspension', 'final_notice',
        'delete_server', 'termination', 'resume_server', 'lifted', 'exempted', 'exemption_removed',
        'deadline_extended')),
      -- what makes the step one of its kind in the case: the notice's number, the server and
      -- deadline, the deadline announced; '' for steps taken once
      key text not null default '',
      outcome text not null check (outcome in ('done', 'failed')),
      server_id uuid references servers (id),
      error text,
      actor_user_id uuid references users (id) on delete set null,
      details jsonb not null default '{}',
      created_at timestamptz not null default now()
    );
    create unique index dunning_steps_once on dunning_steps (case_id, step, key) where outcome = 'done';
    create index dunning_steps_case on dunning_steps (case_id, seq);

    -- The run's selection: wallets below zero (few), without reading every wallet.
    create index wallets_in_arrears on wallets (organization_id) where balance < 0;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index wallets_in_arrears;
    drop table dunning_steps;
    drop table dunning_cases;
  `.execute(db);
}
