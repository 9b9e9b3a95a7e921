import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { LEDGER_KINDS } from '../../src/domain/ledger/kinds.ts';
import { REFUND_STATUSES, REFUND_TRANSITIONS, refundMovesInto } from '../../src/domain/payments/refund-status.ts';
import {
  canMovePayment,
  PAYMENT_STATUSES,
  PAYMENT_TRANSITIONS,
  paymentMove,
} from '../../src/domain/payments/status.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * Each status module (a closed list of states, STYLE.md 15) says the same as the CHECK
 * constraint the migrations put on its column, read back from the migrated database's catalog:
 * a state added on one side only fails here, not in production.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

/** The values a single-column CHECK constraint allows (`column in ('a', 'b', …)`). */
async function checkedValues(db: Db, table: string, column: string): Promise<string[]> {
  const { rows } = await sql<{ definition: string }>`
    select pg_get_constraintdef(c.oid) as definition
      from pg_constraint c
      join pg_class t on t.oid = c.conrelid
      join pg_namespace n on n.oid = t.relnamespace and n.nspname = current_schema()
      join pg_attribute a on a.attrelid = t.oid and a.attnum = c.conkey[1]
     where c.contype = 'c' and t.relname = ${table} and a.attname = ${column} and cardinality(c.conkey) = 1`.execute(
    db,
  );
  const lists = rows.filter((r) => r.definition.includes('ANY (ARRAY['));
  expect(lists, `one CHECK listing the values of ${table}.${column}`).toHaveLength(1);
  return [...lists[0]!.definition.matchAll(/'([^']*)'::text/g)].map((m) => m[1]!);
}

const sorted = (list: readonly string[]) => [...list].sort();

/** Every state reachable from `initial` by the transitions. */
function reachable(transitions: Record<string, readonly string[]>, initial: readonly string[]): string[] {
  const seen = new Set(initial);
  for (const state of seen) for (const next of transitions[state] ?? []) seen.add(next);
  return sorted([...seen]);
}

describe('payment statuses', () => {
  it('are exactly the values the payments.status CHECK constraint allows', async () => {
    const values = await checkedValues(database.db, 'payments', 'status');
    expect(sorted(PAYMENT_STATUSES)).toEqual(sorted(values));
    expect(new Set(PAYMENT_STATUSES).size).toBe(PAYMENT_STATUSES.length);
  });

  it('each have their moves written down, to known states, and every state can be reached from a new top-up', () => {
    expect(sorted(Object.keys(PAYMENT_TRANSITIONS))).toEqual(sorted(PAYMENT_STATUSES));
    for (const targets of Object.values(PAYMENT_TRANSITIONS))
      for (const t of targets) expect(PAYMENT_STATUSES).toContain(t);
    // A top-up starts `created`, or `held` when fraud screening asks for review.
    expect(reachable(PAYMENT_TRANSITIONS, ['created', 'held'])).toEqual(sorted(PAYMENT_STATUSES));
  });

  it('refuse a move that is not written down, and let a payment stay where it is', () => {
    expect(canMovePayment('created', 'completed')).toBe(true);
    expect(canMovePayment('held', 'completed')).toBe(false);
    expect(canMovePayment('refunded', 'completed')).toBe(false);
    expect(paymentMove('completed', 'reversed')).toBe('reversed');
    expect(paymentMove('reversed', 'reversed')).toBe('reversed');
    expect(() => paymentMove('refunded', 'reversed')).toThrow('a payment cannot move from refunded to reversed');
  });
});

describe('refund statuses', () => {
  it('are exactly the values the refunds.status CHECK constraint allows', async () => {
    expect(sorted(REFUND_STATUSES)).toEqual(sorted(await checkedValues(database.db, 'refunds', 'status')));
  });

  it('each have their moves written down: only a pending refund completes or fails', () => {
    expect(sorted(Object.keys(REFUND_TRANSITIONS))).toEqual(sorted(REFUND_STATUSES));
    // A refund to PayPal starts `pending`; a refund as wallet credit starts `completed`.
    expect(reachable(REFUND_TRANSITIONS, ['pending', 'completed'])).toEqual(sorted(REFUND_STATUSES));
    expect(refundMovesInto('completed')).toEqual(['pending']);
    expect(refundMovesInto('failed')).toEqual(['pending']);
    expect(refundMovesInto('pending')).toEqual([]);
  });
});

describe('ledger kinds', () => {
  it('are exactly the values the ledger_transactions.kind CHECK constraint allows', async () => {
    expect(sorted(LEDGER_KINDS)).toEqual(sorted(await checkedValues(database.db, 'ledger_transactions', 'kind')));
  });
});
