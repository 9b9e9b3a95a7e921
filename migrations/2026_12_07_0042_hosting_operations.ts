import { type Kysely, sql } from 'kysely';

// Web hosting's long operations (issue 17 item 4: "long operations show progress live"):
//   hosting_operations   one WordPress install, backup or restore started on a service's website,
//                        while the panel works on it (running) and how it ended (done, failed).
//                        The panel is polled, never heard from (no webhooks): whoever reads the
//                        service's tab or API polls the running ones, at most once per few seconds
//                        per operation (checked_at is claimed with a conditional update), and the
//                        one update that moves an operation out of running publishes the change
//                        and writes the audit entry, so several app instances agree.
//                        ref is the panel's id of the thing (the app's uuid, the backup's number);
//                        label is what the customer sees (the path, the backup's description).
//                        No password or sign-in link is ever kept here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table hosting_operations (
      id uuid primary key default gen_random_uuid(),
      service_id uuid not null references hosting_services(id),
      organization_id uuid not null references organizations(id),
      kind text not null check (kind in ('wordpress_install', 'backup', 'restore')),
      ref text not null,
      label text not null default '',
      status text not null default 'running' check (status in ('running', 'done', 'failed')),
      message text,
      started_by uuid references users(id) on delete set null,
      started_at timestamptz not null default now(),
      checked_at timestamptz,
      finished_at timestamptz,
      check ((status = 'running') = (finished_at is null))
    );
    create index hosting_operations_service on hosting_operations (service_id, started_at desc);
    create index hosting_operations_running on hosting_operations (service_id) where status = 'running';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table hosting_operations`.execute(db);
}
