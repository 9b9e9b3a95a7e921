import { type Kysely, sql } from 'kysely';

// Frozen history: the charge rows behind one ledger posting (an hourly `vps_charge`), found by
// the posting's id. The billing page and the transaction list show the servers behind each
// hourly charge, and monthly statements fold postings into per-server lines; without this each
// of those read every charge row of the organization (or of everyone) to find a posting's.
// Zero charges (the monthly cap reached) have no posting and stay out of it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index server_charges_posting_idx on server_charges (ledger_transaction_id)
      where ledger_transaction_id is not null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index server_charges_posting_idx;`.execute(db);
}
