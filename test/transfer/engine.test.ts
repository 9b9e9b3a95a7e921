import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { closeTransferMonths, runTransferHour } from '../../src/domain/transfer/engine.ts';
import { DEFAULT_PRICE_PER_GB, priceBytes } from '../../src/domain/transfer/units.ts';
import { transferCloseMonthJob } from '../../jobs/transfer-close-month.ts';
import { transferHourlyJob } from '../../jobs/transfer-hourly.ts';
import { runQueued } from '../helpers/jobs.ts';
import { fundWallet } from '../helpers/money.ts';
import {
  accrualsOf,
  at,
  egressPosted,
  emulatorAt,
  GB,
  grantBytes,
  grow,
  insertServer,
  newOrganization,
  readingsOf,
  setPrice,
  transferPlan,
  useTransferWorld,
  walletBalance,
} from './helpers.ts';

/**
 * The transfer engine against the Linode emulator: hours are named by the test and the
 * emulator's clock is moved into each hour before it is read. Months increase through the
 * file (the emulator's clock only moves forward).
 */
const w = useTransferWorld();
const hourly = (iso: string) => runTransferHour(w.ctx.deps, { hour: at(iso), trigger: 'test' });
const read = async (iso: string) => {
  emulatorAt(w, new Date(at(iso).getTime() + 30 * 60_000));
  return hourly(iso);
};

describe('hourly readings and accrual', () => {
  it('stores each server’s reading per hour, pools two servers of one region but not across regions, and charges the region price', async () => {
    const org = await newOrganization(w.ctx.db);
    const plan = await transferPlan(w, 1);
    const created = at('2026-04-01T00:00:00Z');
    const a = await insertServer(w, { organizationId: org, planId: plan, createdAt: created });
    const b = await insertServer(w, { organizationId: org, planId: plan, createdAt: created });
    const c = await insertServer(w, { organizationId: org, planId: plan, region: 'eu-central', createdAt: created });
    await setPrice(w, 'eu-central', 20_000n);

    // us-east: 1.5 + 0.25 GB within the pool of 2 GB; eu-central: 1.5 GB over its 1 GB.
    grow(w, a.instanceId, (GB * 3n) / 2n);
    grow(w, b.instanceId, GB / 4n);
    grow(w, c.instanceId, (GB * 3n) / 2n);
    const run = await read('2026-04-01T00:00:00Z');
    expect(run.serversRead).toBeGreaterThanOrEqual(3);
    expect((await readingsOf(w.ctx.db, a.id)).map((r) => r.used_bytes)).toEqual([(GB * 3n) / 2n]);
    expect((await readingsOf(w.ctx.db, b.id)).map((r) => r.used_bytes)).toEqual([GB / 4n]);

    let acc = await accrualsOf(w.ctx.db, org);
    expect(acc.map((x) => [x.region, x.billed_bytes, x.amount])).toEqual([['eu-central', GB / 2n, 10_000n]]);
    expect(await walletBalance(w.ctx.db, org)).toBe(-10_000n); // usage posts below zero
    expect(await egressPosted(w.ctx.db, org)).toBe(10_000n);

    // Next hour: us-east goes 0.5 GB over the pool (default price); eu-central grows 1 GB more.
    grow(w, a.instanceId, (GB * 3n) / 4n);
    grow(w, c.instanceId, GB);
    await read('2026-04-01T01:00:00Z');
    acc = await accrualsOf(w.ctx.db, org);
    expect(acc.map((x) => [x.hour_start.toISOString(), x.region, x.billed_bytes, x.amount])).toEqual([
      ['2026-04-01T00:00:00.000Z', 'eu-central', GB / 2n, 10_000n],
      ['2026-04-01T01:00:00.000Z', 'eu-central', GB, 20_000n],
      ['2026-04-01T01:00:00.000Z', 'us-east', GB / 2n, priceBytes(GB / 2n, DEFAULT_PRICE_PER_GB)],
    ]);

    // The same hour again: nothing read, nothing charged.
    const before = await walletBalance(w.ctx.db, org);
    const again = await hourly('2026-04-01T01:00:00Z');
    expect(again.serversRead).toBe(0);
    expect(again.amount).toBe(0n);
    expect(await walletBalance(w.ctx.db, org)).toBe(before);
    expect(await accrualsOf(w.ctx.db, org)).toHaveLength(3);
  });

  it('draws prepaid credits first (oldest first), then the wallet', async () => {
    const org = await newOrganization(w.ctx.db);
    await fundWallet(w.ctx.db, org, 1_000_000n);
    const plan = await transferPlan(w, 1);
    const s = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-05-01T00:00:00Z') });
    await setPrice(w, 'us-east', 40_000n);
    const older = await grantBytes(w.ctx.db, org, GB / 4n, at('2026-04-01T00:00:00Z'));
    const newer = await grantBytes(w.ctx.db, org, GB / 2n, at('2026-04-02T00:00:00Z'));
    grow(w, s.instanceId, 2n * GB); // 1 GB over
    await read('2026-05-01T00:00:00Z');
    const [acc] = await accrualsOf(w.ctx.db, org);
    expect(acc!.credit_bytes).toBe((GB * 3n) / 4n);
    expect(acc!.wallet_bytes).toBe(GB / 4n);
    expect(acc!.amount).toBe(10_000n);
    expect(await walletBalance(w.ctx.db, org)).toBe(990_000n);
    const credits = await w.ctx.db
      .selectFrom('transfer_credits')
      .select(['id', 'remaining_bytes'])
      .where('id', 'in', [older, newer])
      .execute();
    expect(credits.every((c) => c.remaining_bytes === 0n)).toBe(true);

    // A new grant covers the next overage completely: no wallet posting at all.
    await grantBytes(w.ctx.db, org, 5n * GB);
    grow(w, s.instanceId, GB);
    await read('2026-05-01T01:00:00Z');
    const all = await accrualsOf(w.ctx.db, org);
    expect(all[1]!.credit_bytes).toBe(GB);
    expect(all[1]!.amount).toBe(0n);
    expect(all[1]!.ledger_transaction_id).toBeNull();
    expect(await walletBalance(w.ctx.db, org)).toBe(990_000n);
  });
});

describe('month close', () => {
  it('closes once from the stored readings, survives the provider’s reset, and never bills a closed month again', async () => {
    const org = await newOrganization(w.ctx.db);
    const plan = await transferPlan(w, 1);
    await setPrice(w, 'us-east', 10_000n);
    const s = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-06-01T00:00:00Z') });
    grow(w, s.instanceId, 2n * GB);
    await read('2026-06-30T22:00:00Z'); // 1 GB over: accrued
    grow(w, s.instanceId, GB / 2n);
    await read('2026-06-30T23:00:00Z'); // 0.5 GB more
    expect((await accrualsOf(w.ctx.db, org)).map((a) => a.billed_bytes)).toEqual([GB, GB / 2n]);

    // The provider resets at the month's start: July's readings start again and belong to July.
    emulatorAt(w, at('2026-07-01T00:10:00Z'));
    const julyCounter = w.cloud.emu.instance(s.instanceId) && (await w.cloud.provider.transfer(s.instanceId));
    expect(julyCounter!.usedBytes).toBe(0n);
    grow(w, s.instanceId, GB / 4n);
    await read('2026-07-01T00:00:00Z');
    const readings = await readingsOf(w.ctx.db, s.id);
    expect(readings.map((r) => r.used_bytes)).toEqual([2n * GB, (5n * GB) / 2n, GB / 4n]);
    // July: 0.25 GB of a 1 GB pool: nothing accrued for July; June untouched.
    expect(await accrualsOf(w.ctx.db, org)).toHaveLength(2);

    const balanceBefore = await walletBalance(w.ctx.db, org);
    const [june] = await closeTransferMonths(w.ctx.deps, { month: at('2026-06-01T00:00:00Z'), trigger: 'test' });
    expect(june!.amount).toBe(0n); // the hours accrued all of it
    const close = await w.ctx.db
      .selectFrom('transfer_month_closes')
      .selectAll()
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    expect(close.used_bytes).toBe((5n * GB) / 2n);
    expect(close.overage_bytes).toBe((3n * GB) / 2n);
    expect(close.accrued_bytes).toBe((3n * GB) / 2n);
    expect(close.delta_bytes).toBe(0n);

    // Twice (and the catch-up form): nothing new, and a late hourly run of June bills nothing.
    await closeTransferMonths(w.ctx.deps, { month: at('2026-06-01T00:00:00Z'), trigger: 'test' });
    await closeTransferMonths(w.ctx.deps, { trigger: 'test' });
    // June closed once; the catch-up also closed July (ended, as far as the database clock knows).
    const closes = await w.ctx.db
      .selectFrom('transfer_month_closes')
      .select(sql<string>`month::text`.as('month'))
      .where('organization_id', '=', org)
      .execute();
    expect(closes.map((c) => c.month).sort()).toEqual(['2026-06-01', '2026-07-01']);
    await w.ctx.db
      .insertInto('transfer_readings')
      .values({
        server_id: s.id,
        hour_start: at('2026-06-30T21:00:00Z'),
        month: '2026-06-01',
        organization_id: org,
        provider_id: w.catalogue.providerId,
        region: 'us-east',
        used_bytes: 9n * GB,
      })
      .execute();
    await hourly('2026-06-30T21:00:00Z');
    expect(await accrualsOf(w.ctx.db, org)).toHaveLength(2);
    expect(await walletBalance(w.ctx.db, org)).toBe(balanceBefore);
  });

  it('charges what the hours missed at close, and returns over-accrual as credit when the pool grew', async () => {
    const org = await newOrganization(w.ctx.db);
    const plan = await transferPlan(w, 2);
    await setPrice(w, 'us-east', 10_000n);
    const s = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-08-01T00:00:00Z') });
    grow(w, s.instanceId, 3n * GB);
    await read('2026-08-01T00:00:00Z'); // 1 GB over the 2 GB pool
    expect((await accrualsOf(w.ctx.db, org)).map((a) => a.amount)).toEqual([10_000n]);
    // Half-way through August a second server joins: the pool grows by 2 GB × 15.5/31 = 1 GB.
    await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-08-16T12:00:00Z') });
    await read('2026-08-16T12:00:00Z');
    const [aug] = await closeTransferMonths(w.ctx.deps, { month: at('2026-08-01T00:00:00Z'), trigger: 'test' });
    expect(aug!.amount).toBe(0n);
    const close = await w.ctx.db
      .selectFrom('transfer_month_closes')
      .selectAll()
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    expect(close.included_bytes).toBe(3n * GB);
    expect(close.delta_bytes).toBe(-GB);
    const credit = await w.ctx.db
      .selectFrom('transfer_credits')
      .selectAll()
      .where('id', '=', close.returned_credit_id!)
      .executeTakeFirstOrThrow();
    expect(credit.remaining_bytes).toBe(GB);
    expect(await walletBalance(w.ctx.db, org)).toBe(-10_000n);

    // Another organization whose hours never ran after its usage: the close charges it all.
    const late = await newOrganization(w.ctx.db);
    const t = await insertServer(w, { organizationId: late, planId: plan, createdAt: at('2026-08-20T00:00:00Z') });
    await w.ctx.db
      .insertInto('transfer_readings')
      .values({
        server_id: t.id,
        hour_start: at('2026-08-31T23:00:00Z'),
        month: '2026-08-01',
        organization_id: late,
        provider_id: w.catalogue.providerId,
        region: 'us-east',
        used_bytes: 5n * GB,
      })
      .execute();
    const runs = await closeTransferMonths(w.ctx.deps, { trigger: 'test' });
    expect(runs.map((r) => r.periodStart.toISOString().slice(0, 7))).toContain('2026-08');
    // included: 2 GB × 288 h / 744 h
    const included = (2n * GB * 288n) / 744n;
    expect(await walletBalance(w.ctx.db, late)).toBe(-priceBytes(5n * GB - included, 10_000n));
    await closeTransferMonths(w.ctx.deps, { trigger: 'test' });
    expect(await walletBalance(w.ctx.db, late)).toBe(-priceBytes(5n * GB - included, 10_000n));
  });

  it('prorates included transfer by the plans a server had in the month (a resize counts from its hour)', async () => {
    const org = await newOrganization(w.ctx.db);
    const small = await transferPlan(w, 1);
    const large = await transferPlan(w, 2);
    await setPrice(w, 'us-east', 10_000n);
    const server = await w.ctx.db
      .insertInto('servers')
      .values({
        organization_id: org,
        provider_id: w.catalogue.providerId,
        plan_id: large,
        create_tag: `resize-${Math.random()}`,
        label: 'resized',
        region: 'us-east',
        image: 'debian12',
        status: 'running',
        created_at: at('2026-02-01T00:00:00Z'),
        updated_at: at('2026-02-01T00:00:00Z'),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    // February (672 hours): 1 GB for the first 336 hours, 2 GB for the rest = 1.5 GB included.
    await w.ctx.db
      .insertInto('server_billing_periods')
      .values([
        { server_id: server.id, effective_from: at('2026-02-01T00:00:00Z'), plan_id: small, backups: false },
        { server_id: server.id, effective_from: at('2026-02-15T00:00:00Z'), plan_id: large, backups: false },
      ])
      .execute();
    await w.ctx.db
      .insertInto('transfer_readings')
      .values({
        server_id: server.id,
        hour_start: at('2026-02-28T23:00:00Z'),
        month: '2026-02-01',
        organization_id: org,
        provider_id: w.catalogue.providerId,
        region: 'us-east',
        used_bytes: 2n * GB,
      })
      .execute();
    await closeTransferMonths(w.ctx.deps, { month: at('2026-02-01T00:00:00Z'), trigger: 'test' });
    const close = await w.ctx.db
      .selectFrom('transfer_month_closes')
      .selectAll()
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    expect(close.included_bytes).toBe((3n * GB) / 2n);
    expect(close.amount).toBe(5_000n);
    expect(await walletBalance(w.ctx.db, org)).toBe(-5_000n);
  });

  it('a server deleted mid-month keeps its readings and is billed at close', async () => {
    const org = await newOrganization(w.ctx.db);
    const plan = await transferPlan(w, 1);
    await setPrice(w, 'us-east', 10_000n);
    const s = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-09-01T00:00:00Z') });
    grow(w, s.instanceId, GB / 2n);
    await read('2026-09-10T00:00:00Z');
    // Deleted on the 15th at 23:xx: it contributes 15 days of its 1 GB (0.5 GB of a 30-day month).
    await w.ctx.db
      .updateTable('servers')
      .set({ status: 'deleted', deleted_at: at('2026-09-15T23:30:00Z') })
      .where('id', '=', s.id)
      .execute();
    w.cloud.emu.removeInstance(s.instanceId);
    await read('2026-09-16T00:00:00Z');
    expect(await readingsOf(w.ctx.db, s.id)).toHaveLength(1);
    await closeTransferMonths(w.ctx.deps, { month: at('2026-09-01T00:00:00Z'), trigger: 'test' });
    const close = await w.ctx.db
      .selectFrom('transfer_month_closes')
      .selectAll()
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    expect(close.used_bytes).toBe(GB / 2n);
    expect(close.included_bytes).toBe(GB / 2n);
    expect(close.amount).toBe(0n);
  });

  it('does not take a counter the provider has not reset yet for the new month', async () => {
    const org = await newOrganization(w.ctx.db);
    const plan = await transferPlan(w, 1);
    const s = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-10-20T00:00:00Z') });
    grow(w, s.instanceId, 4n * GB);
    await read('2026-10-31T23:00:00Z');
    // The provider's clock is behind: at our 00:00 of November it still counts October.
    emulatorAt(w, at('2026-10-31T23:59:00Z'));
    grow(w, s.instanceId, GB / 8n);
    const early = await hourly('2026-11-01T00:00:00Z');
    expect((await readingsOf(w.ctx.db, s.id)).map((r) => r.hour_start.toISOString())).toEqual([
      '2026-10-31T23:00:00.000Z',
    ]);
    expect(early.errors.join(' ')).toContain('had not started the new month');
    // An hour later it has reset: November's reading is November's own.
    grow(w, s.instanceId, 0n);
    emulatorAt(w, at('2026-11-01T01:10:00Z'));
    grow(w, s.instanceId, GB / 4n);
    await hourly('2026-11-01T01:00:00Z');
    expect((await readingsOf(w.ctx.db, s.id)).map((r) => [r.hour_start.toISOString(), r.used_bytes])).toEqual([
      ['2026-10-31T23:00:00.000Z', 4n * GB],
      ['2026-11-01T01:00:00.000Z', GB / 4n],
    ]);
  });

  it('keeps readings as read: never updated or deleted', async () => {
    const any = await w.ctx.db.selectFrom('transfer_readings').select('server_id').executeTakeFirstOrThrow();
    await expect(
      w.ctx.db
        .updateTable('transfer_readings')
        .set({ used_bytes: 0n })
        .where('server_id', '=', any.server_id)
        .execute(),
    ).rejects.toThrow(/never changed/);
    await expect(
      w.ctx.db.deleteFrom('transfer_readings').where('server_id', '=', any.server_id).execute(),
    ).rejects.toThrow(/never changed/);
  });

  it('records every run', async () => {
    const runs = await w.ctx.db.selectFrom('transfer_runs').selectAll().orderBy('started_at').execute();
    expect(runs.length).toBeGreaterThan(5);
    expect(runs.every((r) => r.status === 'succeeded' && r.finished_at !== null)).toBe(true);
    expect(runs.some((r) => r.servers_read > 0 && r.duration_ms !== null && r.worker !== null)).toBe(true);
    expect(new Set(runs.map((r) => r.kind))).toEqual(new Set(['hourly', 'close']));
  });
});

describe('jobs', () => {
  it('transfer.hourly and transfer.close-month run as queued jobs, recorded in job_runs; concurrent runs of one hour charge once', async () => {
    const org = await newOrganization(w.ctx.db);
    const plan = await transferPlan(w, 1);
    await setPrice(w, 'us-east', 10_000n);
    const s = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-11-01T00:00:00Z') });
    grow(w, s.instanceId, 3n * GB);
    emulatorAt(w, at('2026-11-05T10:20:00Z'));
    await Promise.allSettled([
      hourly('2026-11-05T10:00:00Z'),
      hourly('2026-11-05T10:00:00Z'),
      hourly('2026-11-05T10:00:00Z'),
    ]);
    expect((await accrualsOf(w.ctx.db, org)).map((a) => a.billed_bytes)).toEqual([2n * GB]);
    expect(await walletBalance(w.ctx.db, org)).toBe(-20_000n);

    await w.ctx.deps.queue.enqueue(w.ctx.db, 'transfer.close-month', { month: '2026-11', trigger: 'admin' });
    expect(await runQueued(w.ctx, 'transfer.close-month', (d) => transferCloseMonthJob(w.ctx.deps, d, null))).toBe(1);
    expect(await walletBalance(w.ctx.db, org)).toBe(-20_000n);

    // The scheduled job reads the current hour (the database clock's), whatever the payload.
    const now = new Date();
    const current = await newOrganization(w.ctx.db);
    const t = await insertServer(w, {
      organizationId: current,
      planId: plan,
      createdAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    });
    emulatorAt(w, now);
    grow(w, t.instanceId, 2n * GB);
    await w.ctx.deps.queue.enqueue(w.ctx.db, 'transfer.hourly', { trigger: 'admin' });
    expect(await runQueued(w.ctx, 'transfer.hourly', (d) => transferHourlyJob(w.ctx.deps, d, null))).toBe(1);
    const [reading] = await readingsOf(w.ctx.db, t.id);
    expect(reading!.hour_start.getTime()).toBe(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    expect(reading!.used_bytes).toBe(2n * GB);
    expect(await walletBalance(w.ctx.db, current)).toBe(-10_000n);
    await expect(
      runTransferHour(w.ctx.deps, { hour: at('2026-11-05T11:00:00Z'), trigger: 'admin' }),
    ).rejects.toMatchObject({ fields: { hour: expect.stringContaining('Only the current hour') } });

    const jobs = await w.ctx.db
      .selectFrom('job_runs')
      .select(['queue', 'status'])
      .where('queue', 'in', ['transfer.hourly', 'transfer.close-month'])
      .execute();
    expect(jobs.map((j) => `${j.queue}:${j.status}`).sort()).toEqual([
      'transfer.close-month:succeeded',
      'transfer.hourly:succeeded',
    ]);
  });
});
