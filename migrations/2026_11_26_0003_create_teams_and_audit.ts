import { type Kysely, sql } from 'kysely';

// Frozen history: invitations, API keys, the append-only activity log, impersonation sessions.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table invitations (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id) on delete cascade,
      email text not null check (email = lower(email)),
      role_id uuid not null references roles (id) on delete cascade,
      token_hash bytea not null unique,
      invited_by uuid references users (id) on delete set null,
      -- pending: waiting for the invitee; accepted / declined: answered by the invitee;
      -- cancelled: withdrawn by the organization. Expiry is expires_at, not a status.
      status text not null default 'pending' check (status in ('pending', 'accepted', 'declined', 'cancelled')),
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      answered_at timestamptz
    );
    create unique index invitations_one_pending on invitations (organization_id, email) where status = 'pending';

    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      organization_id uuid not null references organizations (id) on delete cascade,
      name text not null check (length(name) between 1 and 100),
      prefix text not null,
      key_hash bytea not null unique,
      permissions text[] not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz,
      last_used_at timestamptz,
      revoked_at timestamptz
    );
    create index api_keys_user_idx on api_keys (user_id);

    create table activity_log (
      id uuid primary key default gen_random_uuid(),
      occurred_at timestamptz not null default now(),
      action text not null,
      -- Plain ids, no foreign keys: the record outlives what it names.
      actor_user_id uuid,
      impersonator_user_id uuid,
      organization_id uuid,
      target_type text,
      target_id text,
      ip text,
      user_agent text,
      details jsonb not null default '{}'
    );
    create index activity_log_org_idx on activity_log (organization_id, occurred_at desc);
    create index activity_log_time_idx on activity_log (occurred_at desc);
    create index activity_log_actor_idx on activity_log (actor_user_id, occurred_at desc);

    -- The log is evidence: rows are never changed or removed.
    create function activity_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'activity_log is append-only';
    end $$;
    create trigger activity_log_no_update before update on activity_log
      for each row execute function activity_log_append_only();
    create trigger activity_log_no_delete before delete on activity_log
      for each row execute function activity_log_append_only();

    alter table sessions
      add column impersonator_user_id uuid references users (id) on delete cascade,
      add column impersonator_session_id uuid references sessions (id) on delete cascade;
    alter table users add column last_sign_in_at timestamptz;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table users drop column last_sign_in_at;
    alter table sessions drop column impersonator_session_id, drop column impersonator_user_id;
    drop table activity_log; drop function activity_log_append_only();
    drop table api_keys, invitations;
  `.execute(db);
}
