import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingRemindersJob } from '../../jobs/billing-reminders.ts';
import { loadConfig } from '../../src/config.ts';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import { sendBillingReminders } from '../../src/domain/notifications/reminders.ts';
import { schedules } from '../../src/queue/index.ts';
import { insertServer } from '../firewalls/servers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { seedServerCatalogue, type SeededCatalogue } from '../helpers/servers.ts';
import { billingTeam, emailIds, emailsSince, recipients } from './helpers.ts';

/**
 * Low-balance and runway reminders (issue 12 item 8). The Small plan costs 15.00 a month, so
 * one server burns hourlyRate(15.00) an hour; organizations here run ten (`burn`) or thirty.
 * Each test moves the clock to its own days; every run is the job's handler, as a worker runs it.
 */
let ctx: TestContext;
let catalogue: SeededCatalogue;
let perServer: bigint;
const DAY = 24 * 3600_000;

beforeAll(async () => {
  ctx = await createTestContext();
  catalogue = await seedServerCatalogue(ctx.db);
  perServer = hourlyRate(catalogue.plans.small.monthly);
});
afterAll(async () => ctx.close());

/** An organization (with the billing team of helpers.ts) running `servers` Small servers, with `balance`. */
async function organization(name: string, servers: number, balance: bigint) {
  const team = await billingTeam(ctx, name);
  for (let i = 0; i < servers; i++) await insertServer(ctx, catalogue, team.orgId);
  await setBalance(team.orgId, balance);
  const all = [team.owner.email, team.bill.email, team.nora.email, team.mia.email];
  return { ...team, all, contacts: [team.owner.email, team.bill.email].sort(), burn: perServer * BigInt(servers) };
}

async function setBalance(orgId: string, balance: bigint) {
  const w = await ctx.db
    .selectFrom('wallets')
    .select('balance')
    .where('organization_id', '=', orgId)
    .executeTakeFirstOrThrow();
  if (w.balance !== balance) await fundWallet(ctx.db, orgId, balance - w.balance);
}

const run = () => billingRemindersJob(ctx.deps, null);
const at = (iso: string) => ctx.clock.set(new Date(iso));

describe('low balance', () => {
  it('is emailed at most once a UTC day to the billing contacts who keep billing mail on, and again the next day', async () => {
    at('2031-03-10T08:25:00Z');
    const acme = await organization('Olga Low', 2, 2_000_000n);
    const before = await emailIds(ctx.db);
    await run();
    await run();
    at('2031-03-10T23:25:00Z');
    await sendBillingReminders(ctx.deps);
    const first = await emailsSince(ctx.db, before, 'low_balance', acme.all);
    expect(first.map((m) => m.to_address).sort()).toEqual(acme.contacts);
    for (const m of first) {
      expect(m.subject).toContain('$2.00 left');
      for (const part of [m.html, m.text]) {
        expect(part).toContain('$2.00');
        expect(part).toContain('below $5.00');
        expect(part).toContain(`/active-organization/${acme.orgId}?next=%2Fbilling`);
      }
    }
    expect(
      await ctx.db.selectFrom('billing_reminders').selectAll().where('organization_id', '=', acme.orgId).execute(),
    ).toEqual([
      expect.objectContaining({ kind: 'low_balance', balance: 2_000_000n, hourly_burn: acme.burn, emails: 2 }),
    ]);
    // Two days of runway left, but the low-balance email says so: no runway email beside it.
    expect(await emailsSince(ctx.db, before, 'runway', acme.all)).toEqual([]);

    at('2031-03-11T00:25:00Z');
    await run();
    await run();
    expect(await recipients(ctx.db, before, 'low_balance', acme.all)).toEqual(
      [...acme.contacts, ...acme.contacts].sort(),
    );
  });

  it('is emailed above the threshold when the balance lasts less than 24 hours of the current burn', async () => {
    at('2031-04-02T10:25:00Z');
    const big = await organization('Bea Burn', 30, 10_000_000n);
    expect(big.burn * 24n).toBeGreaterThan(10_000_000n);
    const before = await emailIds(ctx.db);
    await run();
    const mails = await emailsSince(ctx.db, before, 'low_balance', big.all);
    expect(mails.map((m) => m.to_address).sort()).toEqual(big.contacts);
    expect(mails[0]!.text).toContain(`about ${10_000_000n / big.burn} hours`);
  });

  it('is not emailed to an organization in arrears (dunning mails it), nor to one with nothing billed, nor above both limits', async () => {
    at('2031-05-05T10:25:00Z');
    const arrears = await organization('Arlo Arrears', 3, -1_000_000n);
    const idle = await organization('Ida Idle', 0, 0n);
    const fine = await organization('Finn Fine', 1, 500_000_000n);
    const before = await emailIds(ctx.db);
    await run();
    const everyone = [...arrears.all, ...idle.all, ...fine.all];
    expect(await emailsSince(ctx.db, before, 'low_balance', everyone)).toEqual([]);
    expect(await emailsSince(ctx.db, before, 'runway', everyone)).toEqual([]);
  });

  it('uses LOW_BALANCE_THRESHOLD', async () => {
    const other = await createTestContext({ LOW_BALANCE_THRESHOLD: '50.00' });
    try {
      other.clock.set(new Date('2031-06-01T10:25:00Z'));
      const cat = await seedServerCatalogue(other.db);
      const owner = await createPerson(other, 'Theo Threshold', { email: uniqueEmail('Theo Threshold') });
      await insertServer(other, cat, owner.organization.id);
      await fundWallet(other.db, owner.organization.id, 40_000_000n);
      const before = await emailIds(other.db);
      await billingRemindersJob(other.deps, null);
      const mails = await emailsSince(other.db, before, 'low_balance', [owner.email]);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.text).toContain('below $50.00');
    } finally {
      await other.close();
    }
    for (const bad of ['5.001', '-1.00', 'five'])
      expect(() => loadConfig({ NODE_ENV: 'test', LOW_BALANCE_THRESHOLD: bad })).toThrow(/LOW_BALANCE_THRESHOLD/);
    expect(loadConfig({ NODE_ENV: 'test' }).lowBalanceThreshold).toBe(5_000_000n);
  });
});

describe('runway reminders', () => {
  it('email once when the runway drops to 7 days, once at 3 days, and again after it went back above', async () => {
    at('2031-07-01T09:25:00Z');
    const org = await organization('Rita Runway', 10, 0n);
    const days = (d: number) => org.burn * 24n * BigInt(d);
    const runway = async () => emailsSince(ctx.db, before, 'runway', org.all);
    const before = await emailIds(ctx.db);

    await setBalance(org.orgId, days(6)); // 6 days left: above 5.00 and a day of burn
    await run();
    await run();
    let mails = await runway();
    expect(mails.map((m) => m.to_address).sort()).toEqual(org.contacts);
    expect(mails[0]!.text).toContain(': 7 days or less.');
    expect(mails[0]!.subject).toMatch(/lasts about 6\.0 more days/);
    expect(await emailsSince(ctx.db, before, 'low_balance', org.all)).toEqual([]);

    // Still under 7 days the next day: nothing new.
    at('2031-07-02T09:25:00Z');
    await run();
    expect(await runway()).toHaveLength(2);

    // Down to 2 days: the 3-day reminder, once.
    await setBalance(org.orgId, days(2));
    await run();
    at('2031-07-03T09:25:00Z');
    await run();
    mails = await runway();
    expect(mails).toHaveLength(4);
    expect(
      mails
        .filter((m) => m.text.includes(': 3 days or less.'))
        .map((m) => m.to_address)
        .sort(),
    ).toEqual(org.contacts);

    // A top-up to 10 days re-arms both; dropping under 7 days again is told again.
    await setBalance(org.orgId, days(10));
    await run();
    expect(await runway()).toHaveLength(4);
    expect(
      await ctx.db.selectFrom('billing_runway_marks').selectAll().where('organization_id', '=', org.orgId).execute(),
    ).toEqual([]);
    at('2031-07-04T09:25:00Z');
    await setBalance(org.orgId, days(5));
    await run();
    mails = await runway();
    expect(mails).toHaveLength(6);
  });

  it('a drop past both thresholds at once sends one email (3 days) and marks both', async () => {
    at('2031-08-01T09:25:00Z');
    const org = await organization('Dora Drop', 10, 0n);
    await setBalance(org.orgId, org.burn * 24n * 20n);
    await run();
    const before = await emailIds(ctx.db);
    await setBalance(org.orgId, org.burn * 24n * 2n);
    await run();
    const mails = await emailsSince(ctx.db, before, 'runway', org.all);
    expect(mails.map((m) => m.to_address).sort()).toEqual(org.contacts);
    expect(mails[0]!.text).toContain(': 3 days or less.');
    const marks = await ctx.db
      .selectFrom('billing_runway_marks')
      .select('days')
      .where('organization_id', '=', org.orgId)
      .orderBy('days')
      .execute();
    expect(marks.map((m) => m.days)).toEqual([3, 7]);
  });

  it('arrears keep the marks: no runway email while below zero, none again at 2 days after it unless re-armed above 7', async () => {
    at('2031-09-01T09:25:00Z');
    const org = await organization('Ned Negative', 10, 0n);
    await setBalance(org.orgId, org.burn * 24n * 2n);
    await run();
    const before = await emailIds(ctx.db);
    await setBalance(org.orgId, -5_000_000n);
    await run();
    expect(
      (
        await ctx.db
          .selectFrom('billing_runway_marks')
          .select('days')
          .where('organization_id', '=', org.orgId)
          .execute()
      ).length,
    ).toBe(2);
    at('2031-09-02T09:25:00Z');
    await setBalance(org.orgId, org.burn * 24n * 2n);
    await run();
    expect(await emailsSince(ctx.db, before, 'runway', org.all)).toEqual([]);
  });
});

describe('the billing.reminders job', () => {
  it('is scheduled hourly and recorded in job_runs', async () => {
    expect(schedules['billing.reminders']).toMatch(/^\d+ \* \* \* \*$/);
    at('2031-10-01T09:25:00Z');
    const summary = await run();
    expect(summary.day).toBe('2031-10-01');
    const runs = await ctx.db
      .selectFrom('job_runs')
      .select(['status'])
      .where('queue', '=', 'billing.reminders')
      .execute();
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
  });

  it('two runs at once email once', async () => {
    at('2031-11-01T09:25:00Z');
    const org = await organization('Cora Concurrent', 2, 1_000_000n);
    const before = await emailIds(ctx.db);
    await Promise.all([run(), run(), run()]);
    expect(await recipients(ctx.db, before, 'low_balance', org.all)).toEqual(org.contacts);
  });
});
