import { type Kysely, sql } from 'kysely';

// Which non-security email categories a user receives (Settings → Notifications). Security and
// account mail (sign-ins, password, 2FA, email changes, invitations) is always sent.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table users
      add column notify_billing boolean not null default true,
      add column notify_maintenance boolean not null default true,
      add column notify_general boolean not null default true
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users drop column notify_billing, drop column notify_maintenance, drop column notify_general`.execute(
    db,
  );
}
