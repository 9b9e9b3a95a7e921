import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import { formatInvoiceNumber, nextInvoiceNumber } from '../../src/domain/invoices/numbering.ts';
import { issueStatement } from '../../src/domain/invoices/statements.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { topUp } from './fixtures.ts';

/** Invoice numbers run per year of issue: each test issues in years of its own. */
let ctx: TestContext;
let acme: string;
beforeAll(async () => {
  ctx = await createTestContext();
  acme = (await createPerson(ctx, 'Ann Numbers', { email: uniqueEmail('Ann Numbers') })).organization.id;
});
afterAll(async () => ctx.close());

const numbersOf = async (year: number) =>
  (
    await ctx.db
      .selectFrom('invoices')
      .select('number')
      .where('number', 'like', `INV-${year}-%`)
      .orderBy('number')
      .execute()
  ).map((r) => r.number);
const series = (year: number, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => formatInvoiceNumber(year, from + i));

describe('invoice numbers', () => {
  it('are written INV-<year>-<six digits>', () => {
    expect(formatInvoiceNumber(2026, 42)).toBe('INV-2026-000042');
  });

  it('number twenty receipts issued at the same moment 1 to 20, without gaps or duplicates', async () => {
    const issuedAt = new Date('2031-06-15T12:00:00Z');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => topUp(ctx.deps, acme, 10_000_000n, { issuedAt })),
    );
    expect(results.map((r) => r.invoice.number).sort()).toEqual(series(2031, 1, 20));
    expect(await numbersOf(2031)).toEqual(series(2031, 1, 20));
  });

  it('give a rolled-back issue’s number to the next invoice, so no number is skipped', async () => {
    const issuedAt = new Date('2030-03-01T00:00:00Z');
    await topUp(ctx.deps, acme, 5_000_000n, { issuedAt });
    await expect(
      inTransaction(ctx.db, async (trx) => {
        expect((await nextInvoiceNumber(trx, issuedAt)).number).toBe('INV-2030-000002');
        throw new Error('the credit failed after the number was taken');
      }),
    ).rejects.toThrow(/credit failed/);
    const next = await topUp(ctx.deps, acme, 5_000_000n, { issuedAt });
    expect(next.invoice.number).toBe('INV-2030-000002');
    expect(await numbersOf(2030)).toEqual(series(2030, 1, 2));
  });

  it('start again at 1 in a new year, by the UTC date of issue, while each year keeps its own sequence', async () => {
    const lastMoment = await topUp(ctx.deps, acme, 1_000_000n, { issuedAt: new Date('2032-12-31T23:59:59.999Z') });
    const newYear = await topUp(ctx.deps, acme, 1_000_000n, { issuedAt: new Date('2033-01-01T00:00:00Z') });
    // 1 January in UTC, but still 31 December in New York: the UTC year counts.
    const late = await topUp(ctx.deps, acme, 1_000_000n, { issuedAt: new Date('2033-01-01T03:00:00-05:00') });
    expect([lastMoment.invoice.number, newYear.invoice.number, late.invoice.number]).toEqual([
      'INV-2032-000001',
      'INV-2033-000001',
      'INV-2033-000002',
    ]);
    const row = await ctx.db
      .selectFrom('invoices')
      .select('issued_at')
      .where('id', '=', newYear.invoice.id)
      .executeTakeFirstOrThrow();
    expect(row.issued_at.toISOString()).toBe('2033-01-01T00:00:00.000Z');
  });

  it('give December’s statement, issued on 1 January, a number of the new year', async () => {
    const december = await topUp(ctx.deps, acme, 1_000_000n, { issuedAt: new Date('2034-12-15T10:00:00Z') });
    expect(december.invoice.number).toBe('INV-2034-000001');
    const was = ctx.clock.now();
    ctx.clock.set(new Date('2035-01-01T00:15:00Z'));
    onTestFinished(() => ctx.clock.set(was));
    const statement = await issueStatement(ctx.deps, acme, '2034-12');
    expect(statement.number).toBe('INV-2035-000001');
    const row = await ctx.db
      .selectFrom('invoices')
      .select(['period_start', 'issued_at'])
      .where('id', '=', statement.id)
      .executeTakeFirstOrThrow();
    expect(row.period_start!.toISOString()).toBe('2034-12-01T00:00:00.000Z');
    expect(row.issued_at.toISOString()).toBe('2035-01-01T00:15:00.000Z');
  });
});
