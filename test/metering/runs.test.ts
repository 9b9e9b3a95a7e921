import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingLag, getBillingRun, listBillingRuns, startBillingRun } from '../../src/domain/metering/runs.ts';
import { AppError } from '../../src/lib/errors.ts';
import { billHourJob } from '../../jobs/bill-hour.ts';
import { readRun } from '../../src/domain/metering/runs.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { actorFor, staffActor } from '../servers/helpers.ts';
import type { Actor } from '../../src/domain/access/actor.ts';

let ctx: TestContext;
let staff: Actor;
let member: Actor;
let current: Date;

beforeAll(async () => {
  ctx = await createTestContext();
  const admin = await createPerson(ctx, 'Ada Admin', { verified: true, email: uniqueEmail('ada') });
  const olivia = await createPerson(ctx, 'Olivia Owner', { verified: true, email: uniqueEmail('olivia') });
  staff = staffActor(admin);
  member = actorFor(olivia, olivia.organization.id);
  current = (await sql<{ h: Date }>`select date_trunc('hour', now()) as h`.execute(ctx.db)).rows[0]!.h;
});
afterAll(async () => {
  await ctx?.close();
});

const statusOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof AppError ? err.status : String(err);
  }
};

describe('billing runs started by staff', () => {
  it('queues a run of the current hour by default and enqueues its job', async () => {
    const run = await startBillingRun(ctx.deps, staff, {});
    expect(run).toMatchObject({ status: 'queued', trigger: 'admin', hourStart: current, requestedBy: staff.userId });
    const jobs = await sql<{
      data: { runId: string };
    }>`select data from pgboss.job where name = 'billing.hourly'`.execute(ctx.db);
    expect(jobs.rows.map((j) => j.data.runId)).toContain(run.id);
  });

  it('refuses a second run of an hour while one is queued (409), a future hour and a part hour (422), non-staff (403)', async () => {
    expect(await statusOf(startBillingRun(ctx.deps, staff, { hour: current }))).toBe(409);
    expect(await statusOf(startBillingRun(ctx.deps, staff, { hour: new Date(current.getTime() + 3_600_000) }))).toBe(
      422,
    );
    expect(await statusOf(startBillingRun(ctx.deps, staff, { hour: new Date(current.getTime() - 90_000) }))).toBe(422);
    expect(await statusOf(startBillingRun(ctx.deps, member, {}))).toBe(403);
  });

  it('starts a past hour, lists runs newest first by keyset, and reads one with its organizations', async () => {
    const past = await startBillingRun(ctx.deps, staff, { hour: new Date(current.getTime() - 5 * 3_600_000) });
    const first = await listBillingRuns(ctx.db, staff, { limit: 1 });
    expect(first.items.map((r) => r.id)).toEqual([past.id]);
    expect(first.nextCursor).toBe(past.id);
    const second = await listBillingRuns(ctx.db, staff, { limit: 1, cursor: first.nextCursor });
    expect(second.items[0]!.hourStart).toEqual(current);
    expect(second.nextCursor).toBeNull();
    expect(await statusOf(listBillingRuns(ctx.db, staff, { cursor: 'nope' }))).toBe(422);
    const detail = await getBillingRun(ctx.db, staff, past.id);
    expect(detail).toMatchObject({ id: past.id, organizations: [], amount: 0n });
    expect(await statusOf(getBillingRun(ctx.db, staff, '00000000-0000-4000-8000-000000000001'))).toBe(404);
    expect(await statusOf(getBillingRun(ctx.db, member, past.id))).toBe(403);
  });

  it('reports the lag behind the last hour billed to the end', async () => {
    expect(await billingLag(ctx.db)).toEqual({ lastBilledHour: null, lagSeconds: 0 });
    const threeAgo = new Date(current.getTime() - 3 * 3_600_000);
    await ctx.db
      .insertInto('billing_runs')
      .values({ hour_start: threeAgo, status: 'succeeded', trigger: 'schedule', currency: 'USD' })
      .execute();
    const lag = await billingLag(ctx.db);
    expect(lag.lastBilledHour).toEqual(threeAgo);
    const { now } = (await sql<{ now: Date }>`select now() as now`.execute(ctx.db)).rows[0]!;
    const expected = Math.floor((now.getTime() - threeAgo.getTime() - 3_600_000) / 1000);
    expect(Math.abs(lag.lagSeconds - expected)).toBeLessThanOrEqual(2);
  });

  it('the billing.hourly job carries out a queued run, and the schedule bills only hours not yet billed', async () => {
    const queued = (await listBillingRuns(ctx.db, staff, { limit: 10 })).items.find(
      (r) => r.status === 'queued' && r.hourStart.getTime() === current.getTime(),
    )!;
    const summary = await billHourJob(
      ctx.deps,
      { hour: current.toISOString(), runId: queued.id, trigger: 'admin' },
      null,
    );
    expect(summary).toEqual({ hours: 1, instances: 0, amount: 0n });
    expect(await readRun(ctx.db, queued.id)).toMatchObject({
      status: 'succeeded',
      worker: expect.stringMatching(/:\d+$/),
    });
    // Nothing was ever created here: the schedule has no earlier hour to bill, and the current one is done.
    expect(await billHourJob(ctx.deps, {}, null)).toEqual({ hours: 0, instances: 0, amount: 0n });
    const jobRuns = await ctx.db
      .selectFrom('job_runs')
      .select('status')
      .where('queue', '=', 'billing.hourly')
      .execute();
    expect(jobRuns.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });
});
