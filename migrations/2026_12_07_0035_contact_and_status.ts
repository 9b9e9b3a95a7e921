import { type Kysely, sql } from 'kysely';

// The contact page and the status page (src/domain/contact, src/domain/status).
//   contact_categories        what a message is about (the form's choice); archived ones are no
//                             longer offered, and messages keep theirs.
//   contact_methods           how to reach the business (email, phone, chat, address, link),
//                             shown on /contact in `position` order.
//   contact_messages          what visitors sent through /contact: who (name, email, the
//                             signed-in user if any), where from (ip, user agent), what, and
//                             where staff are with it (new, read, replied, archived).
//   contact_replies           staff answers, emailed to the sender.
//   status_incidents          incidents and maintenance windows staff post on /status: impact,
//                             the regions affected (provider region ids, or 'platform'), when it
//                             started (or starts), its planned end (maintenance), when resolved.
//   status_incident_updates   the timeline of each (investigating … resolved; scheduled …
//                             completed), newest shown first.
// Nothing here is cached: /contact and /status read a few rows per request.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table contact_categories (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 80),
      position integer not null default 0,
      archived boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table contact_methods (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('email', 'phone', 'chat', 'address', 'link')),
      label text not null check (length(label) between 1 and 80),
      value text not null check (length(value) between 1 and 500),
      position integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table contact_messages (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 100),
      email text not null check (length(email) between 3 and 254),
      category_id uuid references contact_categories (id) on delete set null,
      subject text not null check (length(subject) between 1 and 200),
      message text not null check (length(message) between 1 and 5000),
      ip text not null,
      user_agent text,
      user_id uuid references users (id) on delete set null,
      status text not null default 'new' check (status in ('new', 'read', 'replied', 'archived')),
      -- Where the notice went (the support address then), null: no support address was set.
      emailed_to text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index contact_messages_status on contact_messages (status, created_at desc);
    create table contact_replies (
      id uuid primary key default gen_random_uuid(),
      message_id uuid not null references contact_messages (id) on delete cascade,
      staff_user_id uuid references users (id) on delete set null,
      body text not null check (length(body) between 1 and 10000),
      sent_at timestamptz not null default now()
    );
    create index contact_replies_message on contact_replies (message_id, sent_at);

    create table status_incidents (
      id uuid primary key default gen_random_uuid(),
      title text not null check (length(title) between 1 and 200),
      kind text not null default 'incident' check (kind in ('incident', 'maintenance')),
      impact text not null default 'minor' check (impact in ('none', 'minor', 'major', 'critical')),
      affected_regions text[] not null default '{}',
      starts_at timestamptz not null default now(),
      ends_at timestamptz,
      resolved_at timestamptz,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (ends_at is null or ends_at > starts_at)
    );
    create index status_incidents_open on status_incidents (starts_at) where resolved_at is null;
    create index status_incidents_resolved on status_incidents (resolved_at desc) where resolved_at is not null;
    create table status_incident_updates (
      id uuid primary key default gen_random_uuid(),
      incident_id uuid not null references status_incidents (id) on delete cascade,
      status text not null check (status in ('investigating', 'identified', 'monitoring', 'resolved', 'scheduled', 'in_progress', 'completed')),
      message text not null default '' check (length(message) <= 5000),
      at timestamptz not null default now(),
      created_by uuid references users (id) on delete set null
    );
    create index status_incident_updates_incident on status_incident_updates (incident_id, at desc);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table status_incident_updates;
    drop table status_incidents;
    drop table contact_replies;
    drop table contact_messages;
    drop table contact_methods;
    drop table contact_categories;
  `.execute(db);
}
