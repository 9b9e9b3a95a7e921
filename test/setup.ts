import { afterEach, expect } from 'vitest';
import { checkLedgerInvariants } from '../src/domain/ledger/invariants.ts';
import { liveDatabases } from './helpers/db.ts';

// Runs before every test file. Keeps test output quiet unless asked for.
process.env.LOG_LEVEL ??= 'silent';

// After every test, every database a test file opened must keep the ledger's promises:
// each wallet's balance equals the sum of its entries, every transaction balances.
afterEach(async () => {
  for (const db of liveDatabases) expect(await checkLedgerInvariants(db)).toEqual([]);
});
