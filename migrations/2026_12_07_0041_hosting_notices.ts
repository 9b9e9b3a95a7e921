import { type Kysely, sql } from 'kysely';

// Web hosting's billing emails, each sent once (issue 17 items 6–7, src/domain/hosting/emails.ts):
//   hosting_notices   one row per (service, kind, key) sent: the welcome once per service, a
//                     renewal receipt once per period paid, the renewal-failed notice, the
//                     suspension and the final notice once per unpaid spell (keyed by its
//                     overdue_since), the recovery once per spell, the cancellation once. The row
//                     is written in the transaction that queues the emails, so a retried job, a
//                     second worker or a repeated request finds it and sends nothing more.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table hosting_notices (
      service_id uuid not null references hosting_services(id),
      kind text not null check (kind in ('welcome', 'renewal_receipt', 'renewal_failed', 'suspended',
        'final_notice', 'recovered', 'cancelled')),
      key text not null,
      emails integer not null default 0,
      sent_at timestamptz not null default now(),
      primary key (service_id, kind, key)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table hosting_notices`.execute(db);
}
