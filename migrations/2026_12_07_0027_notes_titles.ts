import { type Kysely, sql } from 'kysely';

// Notes get a title, a pin and a personal scope. A note with `personal_owner_id` is that
// member's own (only its author reads or changes it, whatever their role); without, it is the
// organization's (notes_view / notes_manage). A personal note is never about a server. Search
// (title and body) is a case-insensitive substring match over one organization's notes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table notes
      add column title text not null default '' check (length(title) <= 200),
      add column pinned boolean not null default false,
      add column personal_owner_id uuid references users (id) on delete cascade,
      add constraint notes_personal_no_server check (personal_owner_id is null or server_id is null);
    create index notes_personal_idx on notes (organization_id, personal_owner_id) where personal_owner_id is not null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index notes_personal_idx;
    alter table notes
      drop constraint notes_personal_no_server,
      drop column personal_owner_id,
      drop column pinned,
      drop column title;
  `.execute(db);
}
