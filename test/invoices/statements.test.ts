import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueStatementsJob } from '../../jobs/issue-statements.ts';
import { readLines, type InvoiceLine } from '../../src/domain/invoices/lines.ts';
import { issueStatement, parseMonth, previousMonth } from '../../src/domain/invoices/statements.ts';
import { ValidationError } from '../../src/lib/errors.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson } from '../helpers/people.ts';
import { databaseMonth, move, topUp, walletOf } from './fixtures.ts';

let ctx: TestContext;
let ann: string;
let bob: string;
let cy: string;
let month: string;
let nextMonthStart: Date;
beforeAll(async () => {
  ctx = await createTestContext();
  [ann, bob, cy] = (await Promise.all(['Ann Statement', 'Bob Statement', 'Cy Quiet'].map((n) => createPerson(ctx, n)))).map((p) => p.organization.id) as [string, string, string];
  ({ month, next: nextMonthStart } = await databaseMonth(ctx));
});
afterAll(async () => ctx.close());

const after = (d: Date, minutes: number) => new Date(d.getTime() + minutes * 60_000);
const statementRow = (id: string) => ctx.db.selectFrom('invoices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const statementsOf = (org: string) => ctx.db.selectFrom('invoices').select(['id', 'period_start']).where('organization_id', '=', org).where('kind', '=', 'statement').execute();
const lines = async (id: string) => readLines((await statementRow(id)).lines);
const ofType = <T extends InvoiceLine['type']>(all: InvoiceLine[], type: T) => all.filter((l): l is Extract<InvoiceLine, { type: T }> => l.type === type);

describe('monthly statements', () => {
  it('refuse a month that has not ended', async () => {
    ctx.clock.set(after(nextMonthStart, -1));
    await expect(issueStatement(ctx.deps, ann, month)).rejects.toBeInstanceOf(ValidationError);
    await expect(issueStatement(ctx.deps, ann, '2026-13')).rejects.toBeInstanceOf(ValidationError);
    expect(await statementsOf(ann)).toEqual([]);
  });

  it('list the month’s ledger transactions in order with running balances, opening and closing balances and totals', async () => {
    await topUp(ctx, ann, 100_000_000n, { captureId: 'CAP-ANN' });
    await move(ctx, ann, 'vps_charge', -13_699n, 'Server web-1, first hour');
    await move(ctx, ann, 'vps_charge', -7_300_000n, 'Server web-1, rest of the month');
    await move(ctx, ann, 'vps_refund', 5_000n, 'Server web-1 deleted: unused minutes');
    await move(ctx, ann, 'egress_charge', -1_200_000n, 'Transfer overage');
    await move(ctx, ann, 'adjustment', 5_000_000n, 'Goodwill credit');
    await move(ctx, ann, 'refund', -20_000_000n, 'Refund to PayPal');

    ctx.clock.set(after(nextMonthStart, 15));
    const issued = await issueStatement(ctx.deps, ann, month);
    expect(issued.duplicate).toBe(false);
    const row = await statementRow(issued.id);
    expect(row).toMatchObject({ kind: 'statement', organization_id: ann, currency: 'USD', payment_id: null });
    expect(row.period_start!.toISOString()).toBe(parseMonth(month).start.toISOString());
    expect(row.period_end!.getTime()).toBe(nextMonthStart.getTime());

    const all = await lines(issued.id);
    expect(all.map((l) => l.type)).toEqual(['opening_balance', ...Array(7).fill('transaction'), 'closing_balance', 'total', 'total', 'total']);
    const tx = ofType(all, 'transaction');
    expect(tx.map((l) => [l.kind, l.description, l.amount])).toEqual([
      ['top_up', 'PayPal top-up CAP-ANN', 100_000_000n],
      ['vps_charge', 'Server web-1, first hour', -13_699n],
      ['vps_charge', 'Server web-1, rest of the month', -7_300_000n],
      ['vps_refund', 'Server web-1 deleted: unused minutes', 5_000n],
      ['egress_charge', 'Transfer overage', -1_200_000n],
      ['adjustment', 'Goodwill credit', 5_000_000n],
      ['refund', 'Refund to PayPal', -20_000_000n],
    ]);
    expect(tx.map((l) => l.balance)).toEqual([100_000_000n, 99_986_301n, 92_686_301n, 92_691_301n, 91_491_301n, 96_491_301n, 76_491_301n]);
    // The running balance is the ledger's own balance after each transaction.
    const ledger = await ctx.db.selectFrom('ledger_entries').select(['transaction_id', 'balance_after']).where('wallet_id', '=', (await walletOf(ctx, ann)).id).orderBy('seq').execute();
    expect(tx.map((l) => [l.transaction_id, l.balance])).toEqual(ledger.map((e) => [e.transaction_id, e.balance_after]));

    expect(ofType(all, 'opening_balance')[0]!.balance).toBe(0n);
    expect(ofType(all, 'closing_balance')[0]!.balance).toBe((await walletOf(ctx, ann)).balance);
    expect(Object.fromEntries(ofType(all, 'total').map((t) => [t.category, t.amount]))).toEqual({ credits: 105_000_000n, charges: -8_513_699n, refunds: -19_995_000n });
    expect(row.total).toBe(8_513_699n);
  });

  it('are issued once per organization and month: issuing again, even at the same moment, returns the first', async () => {
    const [a, b] = await Promise.all([issueStatement(ctx.deps, ann, month), issueStatement(ctx.deps, ann, month)]);
    expect(a.duplicate && b.duplicate).toBe(true);
    expect(a.id).toBe(b.id);
    await move(ctx, bob, 'promotional_credit', 2_000_000n, 'Welcome credit');
    const [c, d] = await Promise.all([issueStatement(ctx.deps, bob, month), issueStatement(ctx.deps, bob, month)]);
    expect(c.id).toBe(d.id);
    expect([c.duplicate, d.duplicate].sort()).toEqual([false, true]);
    expect(await statementsOf(bob)).toHaveLength(1);
  });

  it('open the next month with the previous month’s closing balance', async () => {
    const following = previousMonth(after(nextMonthStart, 40 * 24 * 60));
    ctx.clock.set(after(nextMonthStart, 40 * 24 * 60));
    const issued = await issueStatement(ctx.deps, ann, following);
    const all = await lines(issued.id);
    const balance = (await walletOf(ctx, ann)).balance;
    expect(ofType(all, 'opening_balance')[0]!.balance).toBe(balance);
    expect(ofType(all, 'transaction')).toEqual([]);
    expect(ofType(all, 'closing_balance')[0]!.balance).toBe(balance);
    expect((await statementRow(issued.id)).total).toBe(0n);
  });

  it('are issued by the monthly job for every organization with activity last month, and a second run issues nothing new', async () => {
    await move(ctx, bob, 'hosting_charge', -500_000n, 'Hosting plan');
    ctx.clock.set(after(nextMonthStart, 15));
    const first = await issueStatementsJob(ctx.deps, null);
    expect(first).toEqual({ month, organizations: 2, issued: 0, existing: 2 });
    expect(await statementsOf(cy)).toEqual([]);

    const carol = (await createPerson(ctx, 'Carol Late')).organization.id;
    await topUp(ctx, carol, 10_000_000n);
    const second = await issueStatementsJob(ctx.deps, 'job-2');
    expect(second).toEqual({ month, organizations: 3, issued: 1, existing: 2 });
    expect(await statementsOf(carol)).toHaveLength(1);
    const runs = await ctx.db.selectFrom('job_runs').select(['status', 'summary', 'job_id']).where('queue', '=', 'billing.issue-statements').orderBy('started_at').execute();
    expect(runs).toEqual([
      { status: 'succeeded', job_id: null, summary: first },
      { status: 'succeeded', job_id: 'job-2', summary: second },
    ]);
  });
});
