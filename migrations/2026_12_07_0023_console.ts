import { type Kysely, sql } from 'kysely';

// Frozen history: the browser console (src/domain/console, src/web/console).
//   console_tickets    single-use tickets that open one console: the SHA-256 of a random
//                      256-bit value (the browser holds the value for at most 60 s), bound to
//                      the user, their session, the organization, the server and the mode.
//                      Redeeming deletes the row, so any process can redeem it, once. A ticket
//                      dies with its session.
//   console_sessions   the consoles open right now, on any process: the per-user and
//                      per-server limits count them. The process holding one moves `seen_at`
//                      on every 30 s; a row not seen for minutes belonged to a process that
//                      stopped, and is swept (and logged as ended) by the next console opened.
//                      A console's row is deleted when it ends: its history is the activity log.
//   server_host_keys   SSH host keys pinned on first use, one per server: a different key later
//                      is refused until an admin resets the pin (or the server was rebuilt or
//                      restored through SkyPanel after the pin).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table console_tickets (
      token_hash bytea primary key,
      user_id uuid not null references users (id) on delete cascade,
      session_id uuid not null references sessions (id) on delete cascade,
      organization_id uuid not null references organizations (id) on delete cascade,
      server_id uuid not null references servers (id) on delete cascade,
      mode text not null check (mode in ('lish', 'ssh')),
      impersonator_user_id uuid references users (id) on delete cascade,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      check (expires_at > created_at and expires_at <= created_at + interval '60 seconds')
    )
  `.execute(db);
  await sql`create index console_tickets_expires_at on console_tickets (expires_at)`.execute(db);

  await sql`
    create table console_sessions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      session_id uuid references sessions (id) on delete set null,
      organization_id uuid not null references organizations (id) on delete cascade,
      server_id uuid not null references servers (id) on delete cascade,
      mode text not null check (mode in ('lish', 'ssh')),
      impersonator_user_id uuid references users (id) on delete set null,
      started_at timestamptz not null,
      seen_at timestamptz not null,
      bytes_in bigint not null default 0 check (bytes_in >= 0),
      bytes_out bigint not null default 0 check (bytes_out >= 0)
    )
  `.execute(db);
  await sql`create index console_sessions_user_id on console_sessions (user_id)`.execute(db);
  await sql`create index console_sessions_server_id on console_sessions (server_id)`.execute(db);

  await sql`
    create table server_host_keys (
      server_id uuid primary key references servers (id) on delete cascade,
      algorithm text not null,
      fingerprint text not null,
      public_key bytea not null,
      pinned_at timestamptz not null
    )
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table server_host_keys`.execute(db);
  await sql`drop table console_sessions`.execute(db);
  await sql`drop table console_tickets`.execute(db);
}
