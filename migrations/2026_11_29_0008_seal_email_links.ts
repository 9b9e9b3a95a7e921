import { type Kysely, sql } from 'kysely';

// Frozen history: live links (password reset, email confirmation, invitation) leave stored
// email bodies. A body keeps a placeholder; the link itself is kept sealed (AES-GCM, the app's
// encryption keys) in `secrets` until `secrets_expire_at`, opened only to deliver the mail (and,
// with the outbox transport, to show it to staff). Bodies stored before keep no live token:
// the token part of such links is removed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table emails
      add column secrets text,
      add column secrets_expire_at timestamptz,
      add constraint emails_secrets_expire check ((secrets is null) = (secrets_expire_at is null));
    create index emails_secrets_expire_idx on emails (secrets_expire_at) where secrets is not null;
    update emails
       set text = regexp_replace(text, '(/(reset-password|verify-email|invitations)/)[A-Za-z0-9_-]+', '\\1[removed]', 'g'),
           html = regexp_replace(html, '(/(reset-password|verify-email|invitations)/)[A-Za-z0-9_-]+', '\\1[removed]', 'g')
     where template in ('welcome', 'verify_email', 'password_reset', 'invitation');
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table emails drop column secrets, drop column secrets_expire_at`.execute(db);
}
