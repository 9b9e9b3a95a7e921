import { type Kysely, sql } from 'kysely';

// The admin dashboard sums the platform accounts' entries (PayPal clearing, VPS, transfer and
// hosting revenue) per day over the last 30 days: index them by account and time, so that
// read stays a range scan however long the ledger grows. Wallet entries (the other half of
// every posting) are left out of the index.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index ledger_entries_platform_time_idx on ledger_entries (platform_account, created_at)
      where platform_account is not null
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index ledger_entries_platform_time_idx`.execute(db);
}
