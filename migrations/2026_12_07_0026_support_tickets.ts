import { type Kysely, sql } from 'kysely';

// Frozen history: support tickets (src/domain/support/tickets.ts).
//   ticket_categories  admin-defined categories; "General" is seeded and is the default (the
//                      one row with is_default). Archived categories stay on old tickets.
//   tickets            one conversation between an organization and the support team: subject,
//                      category, priority, status (open → answered → customer_reply → resolved
//                      → closed), who opened it, who on the staff it is assigned to, and an
//                      optional server with a snapshot of its label, IP and plan taken when the
//                      ticket was opened (so it reads the same after the server is gone).
//                      `waiting_since` is when the customer last wrote and nobody on the staff
//                      answered since (null: not waiting on staff); the queue sorts by it.
//                      `follows_ticket_id` links a new ticket to a closed one it continues.
//   ticket_messages    the thread: the customer's and the staff's messages, and staff-only
//                      internal notes (`internal`), never shown or emailed to the customer.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table ticket_categories (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 80),
      position integer not null default 0,
      is_default boolean not null default false,
      archived_at timestamptz,
      created_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create unique index ticket_categories_name on ticket_categories (lower(name))`.execute(db);
  await sql`create unique index ticket_categories_one_default on ticket_categories (is_default) where is_default`.execute(
    db,
  );
  await sql`insert into ticket_categories (name, position, is_default) values ('General', 0, true)`.execute(db);
  await sql`
    create table tickets (
      id uuid primary key default gen_random_uuid(),
      number bigint generated always as identity unique,
      organization_id uuid not null references organizations (id) on delete cascade,
      opened_by uuid references users (id) on delete set null,
      subject text not null check (length(subject) between 1 and 200),
      category_id uuid not null references ticket_categories (id),
      priority text not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
      status text not null default 'open' check (status in ('open', 'answered', 'customer_reply', 'resolved', 'closed')),
      assignee_id uuid references users (id) on delete set null,
      server_id uuid references servers (id) on delete set null,
      server_snapshot jsonb,
      follows_ticket_id uuid references tickets (id) on delete set null,
      waiting_since timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      resolved_at timestamptz,
      closed_at timestamptz
    )
  `.execute(db);
  await sql`create index tickets_organization_newest on tickets (organization_id, updated_at desc)`.execute(db);
  await sql`create index tickets_waiting on tickets (waiting_since) where waiting_since is not null`.execute(db);
  await sql`create index tickets_status on tickets (status, updated_at desc)`.execute(db);
  await sql`create index tickets_assignee on tickets (assignee_id) where assignee_id is not null`.execute(db);
  await sql`create index tickets_resolved on tickets (resolved_at) where status = 'resolved'`.execute(db);
  await sql`
    create table ticket_messages (
      id uuid primary key default gen_random_uuid(),
      -- Thread order: messages written in one instant (a test clock) keep the order they came in.
      seq bigint generated always as identity,
      ticket_id uuid not null references tickets (id) on delete cascade,
      author_id uuid references users (id) on delete set null,
      from_staff boolean not null,
      internal boolean not null default false check (not internal or from_staff),
      body text not null check (length(body) between 1 and 20000),
      created_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index ticket_messages_thread on ticket_messages (ticket_id, seq)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table ticket_messages`.execute(db);
  await sql`drop table tickets`.execute(db);
  await sql`drop table ticket_categories`.execute(db);
}
