import { type Kysely, sql } from 'kysely';

// Managed web hosting through Enhance, the customer side (issue 17 items 3–7; src/domain/hosting):
//   hosting_customers      an organization's customer organization at one panel (master org):
//                          the Enhance org, its owner login and member. Created by the first
//                          purchase, reused by later ones; a stale id (the panel lost it) is
//                          replaced by the purchase that finds it gone.
//   hosting_services       one bought plan for one domain: its Enhance subscription and website,
//                          status (provisioning → active ⇄ suspended → cancelled; failed when a
//                          purchase was compensated), the paid period (period_start, period_end:
//                          the next renewal), overdue_since while a renewal is unpaid, and the
//                          purchase saga's state (saga_*: resumed or compensated by a job after a
//                          crash, claimed by one worker at a time). purchase_key makes a
//                          double-submitted purchase one service; a domain is live in at most one
//                          service.
//   hosting_saga_steps     the purchase saga's journal, one row per step done (charge, customer,
//                          login, member, subscription, website, activated; undo_website,
//                          undo_subscription, refund when compensating), with what the step made.
//   hosting_charges        one row per paid period, UNIQUE (service_id, period_start): a period is
//                          charged once whoever tries (purchase, renewal job, recovery); refunded
//                          says how much of it went back (a prorated cancellation, a compensation).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table hosting_customers (
      organization_id uuid not null references organizations(id) on delete cascade,
      master_org_id uuid not null,
      enhance_org_id uuid not null,
      login_id uuid,
      member_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (organization_id, master_org_id),
      unique (master_org_id, enhance_org_id)
    );

    create table hosting_services (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations(id),
      plan_id uuid not null references hosting_plans(id),
      master_org_id uuid not null,
      domain text not null check (domain = lower(domain) and length(domain) between 3 and 253),
      status text not null default 'provisioning'
        check (status in ('provisioning', 'active', 'suspended', 'cancelled', 'failed')),
      monthly_price bigint not null check (monthly_price >= 0),
      enhance_org_id uuid,
      enhance_subscription_id integer,
      enhance_website_id uuid,
      server_ips jsonb not null default '[]',
      php_version text,
      period_start timestamptz,
      period_end timestamptz,
      overdue_since timestamptz,
      suspended_at timestamptz,
      suspended_by text check (suspended_by in ('dunning', 'staff')),
      cancel_at_period_end boolean not null default false,
      cancelled_at timestamptz,
      cancel_reason text,
      failure text,
      purchase_key text not null,
      saga_state text not null default 'running'
        check (saga_state in ('running', 'done', 'compensating', 'compensated')),
      saga_attempts integer not null default 0,
      saga_claimed_until timestamptz,
      saga_error text,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (organization_id, purchase_key),
      check ((period_start is null) = (period_end is null)),
      check (status <> 'suspended' or suspended_at is not null)
    );
    create unique index hosting_services_live_domain on hosting_services (domain)
      where status in ('provisioning', 'active', 'suspended');
    create index hosting_services_org on hosting_services (organization_id, created_at desc, id desc);
    create index hosting_services_due on hosting_services (period_end) where status in ('active', 'suspended');
    create index hosting_services_saga on hosting_services (saga_claimed_until nulls first)
      where saga_state in ('running', 'compensating');

    create table hosting_saga_steps (
      service_id uuid not null references hosting_services(id),
      step text not null check (step in ('charge', 'customer', 'login', 'member', 'subscription', 'website',
        'activated', 'undo_website', 'undo_subscription', 'refund')),
      detail jsonb not null default '{}',
      done_at timestamptz not null default now(),
      primary key (service_id, step)
    );

    create table hosting_charges (
      id uuid primary key default gen_random_uuid(),
      service_id uuid not null references hosting_services(id),
      organization_id uuid not null references organizations(id),
      period_start timestamptz not null,
      period_end timestamptz not null check (period_end > period_start),
      amount bigint not null check (amount >= 0),
      refunded bigint not null default 0 check (refunded >= 0 and refunded <= amount),
      kind text not null check (kind in ('purchase', 'renewal')),
      ledger_transaction_id uuid references ledger_transactions(id),
      created_at timestamptz not null default now(),
      unique (service_id, period_start)
    );
    create index hosting_charges_org on hosting_charges (organization_id, created_at desc);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table hosting_charges, hosting_saga_steps, hosting_services, hosting_customers`.execute(db);
}
