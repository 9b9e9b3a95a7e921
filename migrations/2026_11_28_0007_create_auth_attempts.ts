import { type Kysely, sql } from 'kysely';

// Frozen history: brute-force limits (wrong passwords, wrong codes) keep the times of the
// recent attempts per key, so "at most N in any M minutes" holds exactly (no fixed windows)
// and one INSERT … ON CONFLICT can count an attempt and decide about it at once.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table auth_attempts (
      key text primary key,
      attempts timestamptz[] not null,
      updated_at timestamptz not null
    );
    create index auth_attempts_updated_idx on auth_attempts (updated_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table auth_attempts`.execute(db);
}
