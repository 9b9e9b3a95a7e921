import { type Kysely, sql } from 'kysely';

// The /billing page's overview is kept per process in the data cache (src/lib/data-cache.ts,
// src/domain/wallets/overview.ts) and forgotten when its organization's data changes. Besides the
// wallet, servers and members (migration 0021), it shows the top-ups in progress: payments held
// or pending, and whether screening cleared a held one. Their writes now name the organization
// too, through the same trigger function.
const TABLES = ['payments', 'fraud_checks'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    const t = sql.table(table);
    await sql`
      create trigger ${sql.raw(`${table}_inserted_data`)} after insert on ${t}
        referencing new table as new_rows for each statement execute function data_changed_rows('organization_id');
      create trigger ${sql.raw(`${table}_updated_data`)} after update on ${t}
        referencing old table as old_rows new table as new_rows for each statement execute function data_changed_rows('organization_id');
      create trigger ${sql.raw(`${table}_deleted_data`)} after delete on ${t}
        referencing old table as old_rows for each statement execute function data_changed_rows('organization_id');
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES)
    for (const op of ['inserted', 'updated', 'deleted'])
      await sql`drop trigger ${sql.raw(`${table}_${op}_data`)} on ${sql.table(table)}`.execute(db);
}
