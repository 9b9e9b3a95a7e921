import { describe, expect, it } from 'vitest';
import { billMissedHours, runHourlyBilling } from '../../src/domain/metering/hourly.ts';
import { AppError } from '../../src/lib/errors.ts';
import {
  at,
  chargesOf,
  dbHour,
  deleteServer,
  engineProblems,
  insertServer,
  monthlyOf,
  newOrganization,
  newPlan,
  plusHours,
  rateOf,
  setPeriod,
  setPrice,
  useMeteringWorld,
  walletBalance,
} from './helpers.ts';

const w = useMeteringWorld();
const bill = (hour: Date) => runHourlyBilling(w.ctx.deps, { hour, trigger: 'admin' });

describe('hourly billing: each hour at the rate in force at its start', () => {
  it('honours a price change mid-month, a resize and a backups toggle from the next hour', async () => {
    const small = { base: 7_000_000n, markup: 1_000_000n, backups: 2_000_000n };
    const smallNew = { base: 9_000_000n, markup: 1_500_000n, backups: 2_500_000n };
    const medium = { base: 20_000_000n, markup: 4_000_000n, backups: 5_000_000n };
    const planS = await newPlan(w, small);
    const planM = await newPlan(w, medium);
    await setPrice(w.ctx.db, planS, at('2026-11-10T00:00:00Z'), smallNew);
    const org = await newOrganization(w.ctx.db, 'Exact');
    const server = await insertServer(w, { organizationId: org, planId: planS, createdAt: at('2026-11-09T20:15:00Z') });
    // Resized during 01:xx: medium from 02:00; backups turned on during 02:xx: from 03:00.
    await setPeriod(w.ctx.db, server, at('2026-11-10T02:00:00Z'), planM, false);
    await setPeriod(w.ctx.db, server, at('2026-11-10T03:00:00Z'), planM, true);

    const first = at('2026-11-09T20:00:00Z');
    const runs = [];
    for (let i = 0; i < 9; i++) runs.push(await bill(plusHours(first, i)));
    expect(runs.every((r) => r.status === 'succeeded' && r.instancesCharged >= 1)).toBe(true);

    const expected = [
      ...Array(4).fill(rateOf(small, false)), // 20:00–23:00, the old price
      ...Array(2).fill(rateOf(smallNew, false)), // 00:00–01:00, the new price
      rateOf(medium, false), // 02:00, resized
      ...Array(2).fill(rateOf(medium, true)), // 03:00–04:00, backups on
    ];
    const charges = await chargesOf(w.ctx.db, server);
    expect(charges.map((c) => c.hour_start)).toEqual(expected.map((_, i) => plusHours(first, i)));
    expect(charges.map((c) => c.amount)).toEqual(expected);
    expect(charges.map((c) => c.rate)).toEqual(expected);
    const total = expected.reduce((a, b) => a + b, 0n);
    expect(await walletBalance(w.ctx.db, org)).toBe(-total); // usage posts below zero
    expect(charges.every((c) => c.ledger_transaction_id && c.billing_run_id)).toBe(true);

    // A second run of each hour charges nothing.
    for (let i = 0; i < 9; i++) {
      const again = await bill(plusHours(first, i));
      expect(again).toMatchObject({ status: 'succeeded', instancesCharged: 0, amount: 0n });
    }
    expect(await walletBalance(w.ctx.db, org)).toBe(-total);
    expect(await engineProblems(w.ctx.db)).toEqual([]);
    await deleteServer(w.ctx.db, server, at('2026-11-10T05:00:00Z'));
  });

  it('reduces the charge that would pass the monthly cap to the remainder and records later ones at zero', async () => {
    const price = { base: 5_000_000n, markup: 1_000_000n, backups: 0n };
    const plan = await newPlan(w, price);
    const rate = rateOf(price, false);
    const monthly = monthlyOf(price, false);
    const org = await newOrganization(w.ctx.db, 'Cap');
    const server = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-10-01T00:00:00Z') });
    // October so far: charges (already made) summing to the monthly price less half an hour.
    const charged = monthly - rate / 2n;
    await w.ctx.db
      .insertInto('server_charges')
      .values({
        server_id: server,
        hour_start: at('2026-10-01T00:00:00Z'),
        organization_id: org,
        amount: charged,
        rate: charged,
        currency: 'USD',
      })
      .execute();
    const a = await bill(at('2026-10-31T21:00:00Z'));
    const b = await bill(at('2026-10-31T22:00:00Z'));
    const c = await bill(at('2026-11-01T00:00:00Z')); // a new month: the full rate again
    expect(a).toMatchObject({ instancesCharged: 1, amount: monthly - charged, zeroCharges: 0 });
    expect(b).toMatchObject({ instancesCharged: 1, amount: 0n, zeroCharges: 1 });
    expect(c).toMatchObject({ instancesCharged: 1, amount: rate, zeroCharges: 0 });
    const rows = await chargesOf(w.ctx.db, server);
    expect(rows.map((r) => [r.amount, r.rate])).toEqual([
      [charged, charged],
      [monthly - charged, rate],
      [0n, rate],
      [rate, rate],
    ]);
    expect(rows[2]!.ledger_transaction_id).toBeNull();
    expect(await walletBalance(w.ctx.db, org)).toBe(-(monthly - charged + rate));
    await deleteServer(w.ctx.db, server, at('2026-11-01T00:30:00Z'));
  });

  it('skips deleted, failed and not-yet-created servers, and counts servers it cannot price', async () => {
    const price = { base: 3_000_000n, markup: 0n, backups: 0n };
    const plan = await newPlan(w, price);
    const org = await newOrganization(w.ctx.db, 'Skips');
    const hour = at('2026-09-15T12:00:00Z');
    const gone = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-09-15T08:00:00Z') });
    await deleteServer(w.ctx.db, gone, at('2026-09-15T11:59:00Z'));
    const leftDuring = await insertServer(w, {
      organizationId: org,
      planId: plan,
      createdAt: at('2026-09-15T08:00:00Z'),
    });
    await deleteServer(w.ctx.db, leftDuring, at('2026-09-15T12:10:00Z'));
    const failed = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-09-15T08:00:00Z') });
    await w.ctx.db.updateTable('servers').set({ status: 'failed' }).where('id', '=', failed).execute();
    const later = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-09-15T13:00:00Z') });
    const unpriced = await insertServer(w, {
      organizationId: org,
      planId: plan,
      createdAt: at('2026-09-15T08:00:00Z'),
    });
    await w.ctx.db.deleteFrom('server_billing_periods').where('server_id', '=', unpriced).execute();
    const run = await bill(hour);
    expect(run).toMatchObject({ instancesCharged: 1, amount: rateOf(price, false), skipped: 1 });
    expect(run.skippedReasons).toEqual({ no_billing_period: 1 });
    expect((await chargesOf(w.ctx.db, leftDuring)).length).toBe(1);
    for (const s of [gone, failed, later, unpriced]) expect(await chargesOf(w.ctx.db, s)).toEqual([]);
    for (const s of [leftDuring, failed, later, unpriced]) await deleteServer(w.ctx.db, s, at('2026-09-15T13:00:00Z'));
  });

  it('refuses a future hour and a part hour (422)', async () => {
    const current = await dbHour(w.ctx.db);
    for (const hour of [plusHours(current, 1), new Date(current.getTime() + 60_000)]) {
      const err = await bill(hour).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(422);
    }
  });
});

describe('backfill: every missed hour, oldest first, each at its own rate', () => {
  it('bills the hours since the server was created after a price change, and nothing the second time', async () => {
    const current = await dbHour(w.ctx.db);
    const before = { base: 10_000_000n, markup: 2_000_000n, backups: 0n };
    const after = { base: 14_000_000n, markup: 2_000_000n, backups: 0n };
    const plan = await newPlan(w, before);
    await setPrice(w.ctx.db, plan, plusHours(current, -2), after);
    const org = await newOrganization(w.ctx.db, 'Backfill');
    const server = await insertServer(w, { organizationId: org, planId: plan, createdAt: plusHours(current, -5) });
    const runs = await billMissedHours(w.ctx.deps, { trigger: 'catch_up', maxHours: 6 });
    expect(runs.map((r) => r.hourStart)).toEqual([-5, -4, -3, -2, -1, 0].map((n) => plusHours(current, n)));
    expect(runs.every((r) => r.status === 'succeeded' && r.trigger === 'catch_up')).toBe(true);
    const charges = await chargesOf(w.ctx.db, server);
    expect(charges.map((c) => c.amount)).toEqual([
      ...Array(3).fill(rateOf(before, false)),
      ...Array(3).fill(rateOf(after, false)),
    ]);
    expect(await billMissedHours(w.ctx.deps, { trigger: 'schedule', maxHours: 6 })).toEqual([]);
    expect((await chargesOf(w.ctx.db, server)).length).toBe(6);
    expect(await engineProblems(w.ctx.db)).toEqual([]);
  });
});
