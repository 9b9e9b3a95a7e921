import { type Kysely, sql } from 'kysely';

// Frozen history: the notification bell (src/domain/notifications/inbox.ts, emit.ts).
//   notifications      one row per person told of an event: a server created, running, failed
//                      or deleted, a power action by someone else, money credited, a low
//                      balance, arrears, suspension, an invitation, a sign-in, a two-factor or
//                      API key change. `kind` says which (the closed list is kinds.ts), `data`
//                      the few facts its sentence needs (labels, names, amounts; never
//                      secrets). `dedupe_key` names the event: an event that is emitted again
//                      (a retried job, a second run) inserts … on conflict do nothing, so a
//                      person is told once. Unread while `read_at` is null.
//   users.inbox_*      which categories a person wants in the bell (Settings → Notifications,
//                      beside the notify_* email switches of migration 0015). Security has no
//                      switch: it is always shown, as its email is always sent.
// A trigger tells every process's data cache (migration 0021) whose bell changed: the scope
// `inbox:<user id>` on skypanel_data, at commit.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table users
      add column inbox_servers boolean not null default true,
      add column inbox_billing boolean not null default true,
      add column inbox_team boolean not null default true,
      add column inbox_maintenance boolean not null default true,
      add column inbox_general boolean not null default true
  `.execute(db);
  await sql`
    create table notifications (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      -- The organization the event happened in; null for the person's own account (security).
      organization_id uuid references organizations (id) on delete cascade,
      category text not null check (category in ('servers', 'billing', 'team', 'security', 'maintenance', 'general')),
      kind text not null check (kind ~ '^[a-z_]+\\.[a-z_]+$'),
      data jsonb not null default '{}',
      dedupe_key text not null check (length(dedupe_key) between 1 and 200),
      created_at timestamptz not null default now(),
      read_at timestamptz,
      unique (user_id, dedupe_key)
    )
  `.execute(db);
  await sql`create index notifications_user_newest on notifications (user_id, created_at desc, id desc)`.execute(db);
  await sql`create index notifications_user_unread on notifications (user_id, created_at desc) where read_at is null`.execute(
    db,
  );
  await sql`
    create function data_changed_inbox() returns trigger language plpgsql as $$
    declare scopes text[];
    begin
      if TG_OP = 'DELETE' then
        scopes := array(select distinct 'inbox:' || user_id from old_rows);
      else
        scopes := array(select distinct 'inbox:' || user_id from new_rows);
      end if;
      perform data_changed(scopes);
      return null;
    end $$;
    create trigger notifications_inserted_data after insert on notifications
      referencing new table as new_rows for each statement execute function data_changed_inbox();
    create trigger notifications_updated_data after update on notifications
      referencing new table as new_rows for each statement execute function data_changed_inbox();
    create trigger notifications_deleted_data after delete on notifications
      referencing old table as old_rows for each statement execute function data_changed_inbox();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table notifications`.execute(db);
  await sql`drop function data_changed_inbox()`.execute(db);
  await sql`
    alter table users
      drop column inbox_servers, drop column inbox_billing, drop column inbox_team,
      drop column inbox_maintenance, drop column inbox_general
  `.execute(db);
}
