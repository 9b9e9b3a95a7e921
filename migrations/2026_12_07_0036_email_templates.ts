import { type Kysely, sql } from 'kysely';

// Email templates (src/mail/templates.ts, issue 16 item 5): every email has a default written in
// code; a platform admin may replace its subject, HTML body and text body with a logic-less
// template ({{placeholders}} only, src/mail/placeholders.ts). A row here is an override: deleting
// it resets the email to its default. Read at each email queued (no cache: one small indexed read).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table email_templates (
      name text primary key check (name ~ '^[a-z][a-z0-9_]{0,63}$'),
      subject text not null check (length(subject) between 1 and 300),
      html text not null check (length(html) between 1 and 50000),
      text text not null check (length(text) between 1 and 50000),
      updated_by uuid references users (id) on delete set null,
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table email_templates;`.execute(db);
}
