import { type Kysely, sql } from 'kysely';

// Support staff's tools (src/domain/support/canned.ts, mail.ts).
//   canned_replies        answers staff keep for questions asked again and again: a title to
//                         find one by and the text it puts in the reply form (placeholders such
//                         as {{customer}} are filled per ticket). Who wrote and last changed it.
//   users.support_email   which ticket emails a member of the staff receives: 'all' (tickets
//                         assigned to them and every unassigned ticket: the default, as before),
//                         'assigned' (only tickets assigned to them) or 'off'. The bell is
//                         unaffected (its own switch is the inbox's).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table canned_replies (
      id uuid primary key default gen_random_uuid(),
      title text not null check (length(title) between 1 and 120),
      body text not null check (length(body) between 1 and 20000),
      created_by uuid references users (id) on delete set null,
      updated_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index canned_replies_title on canned_replies (lower(title));
    alter table users
      add column support_email text not null default 'all' check (support_email in ('all', 'assigned', 'off'));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table users drop column support_email;
    drop table canned_replies;
  `.execute(db);
}
