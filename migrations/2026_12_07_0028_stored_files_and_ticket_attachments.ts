import { type Kysely, sql } from 'kysely';

// Frozen history: stored files (src/domain/files) and ticket attachments (src/domain/support/attachments.ts).
//   stored_files        one uploaded file's bytes and what was learned of them: its SHA-256, size
//                       and the content type sniffed from the bytes (never the one uploaded).
//                       `storage` says where the bytes are: 'postgres' (in `bytes`, so every
//                       app container reads them) or 's3' (the object `object_key` of an
//                       S3-compatible bucket, S3_* settings; `bytes` is null).
//   ticket_attachments  a stored file attached to one ticket message, with its safe file name.
//                       `ticket_id` is the message's ticket, kept so a download finds it with
//                       the ticket's visibility rules in one lookup. Deleting the message or
//                       ticket deletes the link; the stored file row goes with it (trigger), the
//                       bucket's object is left (a bucket lifecycle rule may sweep orphans).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table stored_files (
      id uuid primary key default gen_random_uuid(),
      storage text not null check (storage in ('postgres', 's3')),
      bytes bytea,
      object_key text,
      sha256 bytea not null check (length(sha256) = 32),
      size bigint not null check (size >= 0),
      content_type text not null check (length(content_type) between 3 and 100),
      created_at timestamptz not null default now(),
      check ((storage = 'postgres' and bytes is not null and object_key is null)
          or (storage = 's3' and bytes is null and object_key is not null))
    )
  `.execute(db);
  await sql`
    create table ticket_attachments (
      id uuid primary key default gen_random_uuid(),
      ticket_id uuid not null references tickets (id) on delete cascade,
      message_id uuid not null references ticket_messages (id) on delete cascade,
      file_id uuid not null unique references stored_files (id),
      position smallint not null check (position between 0 and 99),
      file_name text not null check (length(file_name) between 1 and 255),
      content_type text not null,
      size bigint not null check (size >= 0),
      created_at timestamptz not null default now(),
      unique (message_id, position)
    )
  `.execute(db);
  await sql`create index ticket_attachments_ticket on ticket_attachments (ticket_id)`.execute(db);
  await sql`
    create function ticket_attachments_drop_file() returns trigger language plpgsql as $$
    begin
      delete from stored_files where id = old.file_id;
      return null;
    end $$
  `.execute(db);
  await sql`
    create trigger ticket_attachments_drop_file after delete on ticket_attachments
      for each row execute function ticket_attachments_drop_file()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table ticket_attachments`.execute(db);
  await sql`drop function ticket_attachments_drop_file()`.execute(db);
  await sql`drop table stored_files`.execute(db);
}
