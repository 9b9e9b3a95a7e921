import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { issueStatementsJob } from '../../jobs/issue-statements.ts';
import { readLines, type InvoiceLine } from '../../src/domain/invoices/lines.ts';
import { issueStatement, parseMonth } from '../../src/domain/invoices/statements.ts';
import { ValidationError } from '../../src/lib/errors.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { after, atOneMoment, move, topUp, walletOf } from './fixtures.ts';

/**
 * Each test builds its organizations and posts their month at one moment (`atOneMoment`): the
 * month is the one that moment fell in, and the app's clock is set from it, so a run across
 * midnight of the 1st or New Year changes nothing.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

/** An organization of its own (its owner is `name`). */
const organization = async (c: TestContext, name: string) =>
  (await createPerson(c, name, { email: uniqueEmail(name) })).organization.id;
/** Sets the test clock for this test only. */
function clockAt(c: TestContext, at: Date) {
  const was = c.clock.now();
  c.clock.set(at);
  onTestFinished(() => c.clock.set(was));
}
const statementRow = (id: string) =>
  ctx.db.selectFrom('invoices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const statementsOf = (c: TestContext, org: string) =>
  c.db
    .selectFrom('invoices')
    .select(['id', 'period_start'])
    .where('organization_id', '=', org)
    .where('kind', '=', 'statement')
    .execute();
const lines = async (id: string) => readLines((await statementRow(id)).lines);
const ofType = <T extends InvoiceLine['type']>(all: InvoiceLine[], type: T) =>
  all.filter((l): l is Extract<InvoiceLine, { type: T }> => l.type === type);

describe('monthly statements', () => {
  it('refuse a month that has not ended by the clock, and a month that does not exist', async () => {
    const ann = await organization(ctx, 'Ann Statement');
    clockAt(ctx, new Date('2031-05-31T23:59:59.999Z'));
    await expect(issueStatement(ctx.deps, ann, '2031-05')).rejects.toBeInstanceOf(ValidationError);
    await expect(issueStatement(ctx.deps, ann, '2026-13')).rejects.toBeInstanceOf(ValidationError);
    expect(await statementsOf(ctx, ann)).toEqual([]);
    // The first instant of June ends May.
    ctx.clock.set(new Date('2031-06-01T00:00:00Z'));
    expect((await issueStatement(ctx.deps, ann, '2031-05')).duplicate).toBe(false);
  });

  it('list the month’s ledger transactions in order with running balances, opening and closing balances and totals', async () => {
    const ann = await organization(ctx, 'Ann Statement');
    const { month } = await atOneMoment(ctx, async (deps) => {
      await topUp(deps, ann, 100_000_000n);
      await move(deps.db, ann, 'vps_charge', -13_699n, 'Server web-1, first hour');
      await move(deps.db, ann, 'vps_charge', -7_300_000n, 'Server web-1, rest of the month');
      await move(deps.db, ann, 'vps_refund', 5_000n, 'Server web-1 deleted: unused minutes');
      await move(deps.db, ann, 'egress_charge', -1_200_000n, 'Transfer overage');
      await move(deps.db, ann, 'adjustment', 5_000_000n, 'Goodwill credit');
      await move(deps.db, ann, 'refund', -20_000_000n, 'Refund to PayPal');
    });

    clockAt(ctx, after(month.end, 15));
    const issued = await issueStatement(ctx.deps, ann, month.month);
    expect(issued.duplicate).toBe(false);
    const row = await statementRow(issued.id);
    expect(row).toMatchObject({
      kind: 'statement',
      organization_id: ann,
      currency: 'USD',
      payment_id: null,
      issued_at: after(month.end, 15),
    });
    expect(row.period_start!.toISOString()).toBe(month.start.toISOString());
    expect(row.period_end!.toISOString()).toBe(month.end.toISOString());

    const all = await lines(issued.id);
    expect(all.map((l) => l.type)).toEqual([
      'opening_balance',
      ...Array(7).fill('transaction'),
      'closing_balance',
      'total',
      'total',
      'total',
    ]);
    const tx = ofType(all, 'transaction');
    expect(tx.map((l) => [l.kind, l.description, l.amount])).toEqual([
      ['top_up', 'Wallet top-up via PayPal', 100_000_000n],
      ['vps_charge', 'Server web-1, first hour', -13_699n],
      ['vps_charge', 'Server web-1, rest of the month', -7_300_000n],
      ['vps_refund', 'Server web-1 deleted: unused minutes', 5_000n],
      ['egress_charge', 'Transfer overage', -1_200_000n],
      ['adjustment', 'Goodwill credit', 5_000_000n],
      ['refund', 'Refund to PayPal', -20_000_000n],
    ]);
    expect(tx.map((l) => l.balance)).toEqual([
      100_000_000n,
      99_986_301n,
      92_686_301n,
      92_691_301n,
      91_491_301n,
      96_491_301n,
      76_491_301n,
    ]);
    // The running balance is the ledger's own balance after each transaction.
    const ledger = await ctx.db
      .selectFrom('ledger_entries')
      .select(['transaction_id', 'balance_after'])
      .where('wallet_id', '=', (await walletOf(ctx.db, ann)).id)
      .orderBy('seq')
      .execute();
    expect(tx.map((l) => [l.transaction_id, l.balance])).toEqual(
      ledger.map((e) => [e.transaction_id, e.balance_after]),
    );

    expect(ofType(all, 'opening_balance')[0]!.balance).toBe(0n);
    expect(ofType(all, 'closing_balance')[0]!.balance).toBe((await walletOf(ctx.db, ann)).balance);
    expect(Object.fromEntries(ofType(all, 'total').map((t) => [t.category, t.amount]))).toEqual({
      credits: 105_000_000n,
      charges: -8_513_699n,
      refunds: -19_995_000n,
    });
    expect(row.total).toBe(8_513_699n);
  });

  it('are issued once per organization and month: issuing again, even at the same moment, returns the first', async () => {
    const [ann, bob] = await Promise.all([organization(ctx, 'Ann Statement'), organization(ctx, 'Bob Statement')]);
    const { month } = await atOneMoment(ctx, async (deps) => {
      await move(deps.db, ann, 'adjustment', 1_000_000n, 'Opening credit');
      await move(deps.db, bob, 'promotional_credit', 2_000_000n, 'Welcome credit');
    });
    clockAt(ctx, after(month.end, 15));
    const first = await issueStatement(ctx.deps, ann, month.month);
    const [a, b] = await Promise.all([
      issueStatement(ctx.deps, ann, month.month),
      issueStatement(ctx.deps, ann, month.month),
    ]);
    expect([a, b]).toEqual([
      { ...first, duplicate: true },
      { ...first, duplicate: true },
    ]);
    const [c, d] = await Promise.all([
      issueStatement(ctx.deps, bob, month.month),
      issueStatement(ctx.deps, bob, month.month),
    ]);
    expect(c.id).toBe(d.id);
    expect([c.duplicate, d.duplicate].sort()).toEqual([false, true]);
    expect(await statementsOf(ctx, bob)).toHaveLength(1);
  });

  it('open the next month with the previous month’s closing balance', async () => {
    const ann = await organization(ctx, 'Ann Statement');
    const { month } = await atOneMoment(ctx, async (deps) => {
      await topUp(deps, ann, 30_000_000n);
      await move(deps.db, ann, 'vps_charge', -1_250_000n, 'Server web-1');
    });
    const following = parseMonth(month.end.toISOString().slice(0, 7));
    clockAt(ctx, after(following.end, 24 * 60));
    const ended = await issueStatement(ctx.deps, ann, month.month);
    const next = await issueStatement(ctx.deps, ann, following.month);
    const closing = ofType(await lines(ended.id), 'closing_balance')[0]!.balance;
    expect(closing).toBe(28_750_000n);
    const all = await lines(next.id);
    expect(ofType(all, 'opening_balance')[0]!.balance).toBe(closing);
    expect(ofType(all, 'transaction')).toEqual([]);
    expect(ofType(all, 'closing_balance')[0]!.balance).toBe(closing);
    expect((await statementRow(next.id)).total).toBe(0n);
  });
});

describe('the monthly statements job', () => {
  it('issues last month’s statement for every organization with activity in it, only those not issued yet, and a second run issues nothing', async () => {
    // Its own database: the job looks at every organization there is.
    const own = await createTestContext();
    try {
      const [ann, bob, cy, carol] = (await Promise.all(
        ['Ann Statement', 'Bob Statement', 'Cy Quiet', 'Carol Late'].map((n) => organization(own, n)),
      )) as [string, string, string, string];
      const { month } = await atOneMoment(own, async (deps) => {
        await topUp(deps, ann, 10_000_000n);
        await move(deps.db, bob, 'hosting_charge', -500_000n, 'Hosting plan');
        await move(deps.db, carol, 'promotional_credit', 1_000_000n, 'Welcome credit');
      });
      clockAt(own, after(month.end, 15));
      const ahead = await issueStatement(own.deps, ann, month.month);

      const first = await issueStatementsJob(own.deps, null);
      expect(first).toEqual({ month: month.month, organizations: 3, issued: 2, existing: 1 });
      own.clock.advance(1_000); // the second run a moment later
      const second = await issueStatementsJob(own.deps, 'job-2');
      expect(second).toEqual({ month: month.month, organizations: 3, issued: 0, existing: 3 });

      expect((await statementsOf(own, ann)).map((s) => s.id)).toEqual([ahead.id]);
      for (const org of [bob, carol])
        expect(await statementsOf(own, org)).toEqual([{ id: expect.any(String), period_start: month.start }]);
      expect(await statementsOf(own, cy)).toEqual([]);
      const runs = await own.db
        .selectFrom('job_runs')
        .select(['status', 'summary', 'job_id'])
        .where('queue', '=', 'billing.issue-statements')
        .orderBy('started_at')
        .execute();
      expect(runs).toEqual([
        { status: 'succeeded', job_id: null, summary: first },
        { status: 'succeeded', job_id: 'job-2', summary: second },
      ]);
    } finally {
      await own.close();
    }
  });
});
