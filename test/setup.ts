import { afterEach, expect } from 'vitest';
import { checkLedgerInvariants } from '../src/domain/ledger/invariants.ts';
import { liveDatabases } from './helpers/db.ts';

// Runs before every test file. Keeps test output quiet unless asked for.
process.env.LOG_LEVEL ??= 'silent';

// After every test, every database a test file has open must keep the ledger's promises
// (src/domain/ledger/invariants.ts): each wallet's balance equals the sum of its entries, every
// transaction balances, each credited payment has exactly one top-up posting, and a payment's
// refunded amount is what its refunds and PayPal's returns add up to. A database made and
// closed inside one test is checked as it is dropped (test/helpers/db.ts).
afterEach(async () => {
  for (const db of liveDatabases) expect(await checkLedgerInvariants(db)).toEqual([]);
});
