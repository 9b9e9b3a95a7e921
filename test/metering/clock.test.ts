import { describe, expect, it } from 'vitest';
import { billHourJob } from '../../jobs/bill-hour.ts';
import { startBillingRun } from '../../src/domain/metering/runs.ts';
import { AppError } from '../../src/lib/errors.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { staffActor } from '../servers/helpers.ts';
import {
  chargesOf,
  dbHour,
  engineProblems,
  HOUR,
  insertServer,
  newOrganization,
  newPlan,
  plusHours,
  rateOf,
  useMeteringWorld,
  walletBalance,
} from './helpers.ts';

const w = useMeteringWorld();

// Workers whose own clocks are wrong: one six hours fast, one two days slow. Billing takes its
// hours from the database clock only, so both bill exactly the hours that have started.
describe('hourly billing with workers whose clocks are wrong', () => {
  it('bills every started hour once, never a future one, whatever the worker believes the time is', async () => {
    const price = { base: 6_000_000n, markup: 1_000_000n, backups: 0n };
    const plan = await newPlan(w, price);
    const org = await newOrganization(w.ctx.db, 'Clocks');
    const now = await dbHour(w.ctx.db);
    const server = await insertServer(w, { organizationId: org, planId: plan, createdAt: plusHours(now, -3) });

    const fast = { ...w.ctx.deps, clock: { now: () => new Date(Date.now() + 6 * HOUR) } };
    const slow = { ...w.ctx.deps, clock: { now: () => new Date(Date.now() - 48 * HOUR) } };
    await Promise.all([
      billHourJob(fast, { trigger: 'schedule' }, null),
      billHourJob(slow, { trigger: 'schedule' }, null),
      billHourJob(fast, { trigger: 'catch_up' }, null),
    ]);
    await billHourJob(slow, { trigger: 'schedule' }, null);

    const end = await dbHour(w.ctx.db);
    const expected: Date[] = [];
    for (let h = plusHours(now, -3); h.getTime() <= end.getTime(); h = plusHours(h, 1)) expected.push(h);
    const charges = await chargesOf(w.ctx.db, server);
    expect(charges.map((c) => c.hour_start)).toEqual(expected);
    expect(charges.every((c) => c.amount === rateOf(price, false))).toBe(true);
    expect(await walletBalance(w.ctx.db, org)).toBe(-rateOf(price, false) * BigInt(expected.length));

    // No run was recorded for an hour the database has not reached.
    const runs = await w.ctx.db.selectFrom('billing_runs').select('hour_start').execute();
    expect(runs.every((r) => r.hour_start.getTime() <= end.getTime())).toBe(true);
    expect(await engineProblems(w.ctx.db)).toEqual([]);
  });

  it('refuses a staff run of the hour a fast worker thinks it is, when the database has not reached it', async () => {
    const admin = staffActor(await createPerson(w.ctx, 'Ada Admin', { verified: true, email: uniqueEmail('ada') }));
    const theirHour = plusHours(await dbHour(w.ctx.db), 6);
    const err = await startBillingRun(w.ctx.deps, admin, { hour: theirHour }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(422);
    expect(
      await w.ctx.db.selectFrom('billing_runs').select('id').where('hour_start', '=', theirHour).execute(),
    ).toEqual([]);
  });
});
