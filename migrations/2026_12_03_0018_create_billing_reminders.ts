import { type Kysely, sql } from 'kysely';

// Frozen history: the low-balance and runway reminders sent to an organization's billing
// contacts (src/domain/notifications/reminders.ts).
//   billing_reminders      one row per organization, kind and UTC day a reminder was emailed:
//                          the job inserts … on conflict do nothing and emails only when its
//                          row went in, so a kind is mailed at most once a day however often
//                          or concurrently the job runs
//   billing_runway_marks   the runway thresholds (7 and 3 days) an organization has been told
//                          of: present = fired, deleted once its runway is back above the
//                          threshold (re-armed)
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table billing_reminders (
      organization_id uuid not null references organizations (id) on delete cascade,
      kind text not null check (kind in ('low_balance', 'runway_7', 'runway_3')),
      day date not null,
      balance bigint not null,
      hourly_burn bigint not null check (hourly_burn >= 0),
      emails integer not null default 0 check (emails >= 0),
      sent_at timestamptz not null default now(),
      primary key (organization_id, kind, day)
    )
  `.execute(db);
  await sql`
    create table billing_runway_marks (
      organization_id uuid not null references organizations (id) on delete cascade,
      days smallint not null check (days in (7, 3)),
      marked_at timestamptz not null default now(),
      primary key (organization_id, days)
    )
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table billing_runway_marks`.execute(db);
  await sql`drop table billing_reminders`.execute(db);
}
