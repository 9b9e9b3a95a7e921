import { type Kysely, sql } from 'kysely';

// Announcements (src/domain/announcements): banners staff post on every page.
//   announcements              a title and a Markdown body (rendered and sanitised on the server),
//                              a severity (info, warning, critical), an audience (everyone,
//                              signed-in, guests, admins), an optional window (starts_at,
//                              ends_at) and whether people may dismiss it.
//   announcement_dismissals    who dismissed which (signed-in people; guests keep a cookie).
// Pages read announcements from each process's data cache under the `catalogue` scope, so the
// table joins the catalogue's NOTIFY trigger (migration 0021): a change made anywhere is seen
// by every process at once.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table announcements (
      id uuid primary key default gen_random_uuid(),
      title text not null check (length(title) between 1 and 200),
      body text not null default '' check (length(body) <= 10000),
      severity text not null default 'info' check (severity in ('info', 'warning', 'critical')),
      audience text not null default 'everyone' check (audience in ('everyone', 'signed-in', 'guests', 'admins')),
      starts_at timestamptz,
      ends_at timestamptz,
      dismissable boolean not null default true,
      created_by uuid references users (id) on delete set null,
      updated_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (ends_at is null or starts_at is null or ends_at > starts_at)
    );
    create table announcement_dismissals (
      announcement_id uuid not null references announcements (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      dismissed_at timestamptz not null default now(),
      primary key (user_id, announcement_id)
    );
    create index announcement_dismissals_announcement on announcement_dismissals (announcement_id);
    create trigger announcements_changed_data after insert or update or delete or truncate on announcements
      for each statement execute function data_changed_catalogue();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table announcement_dismissals;
    drop table announcements;
  `.execute(db);
}
