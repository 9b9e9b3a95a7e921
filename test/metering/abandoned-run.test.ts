import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { billHourJob } from '../../jobs/bill-hour.ts';
import { ABANDONED, readRun, startBillingRun } from '../../src/domain/metering/runs.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { staffActor } from '../servers/helpers.ts';
import { chargesOf, dbHour, insertServer, newOrganization, plusHours, useMeteringWorld } from './helpers.ts';

/**
 * A run staff queued whose worker died mid-way (src/queue/reaper.ts offers its job again): the
 * retried job finds the run `running` with nobody holding the hour, marks it failed, and carries
 * the hour out itself as a new run for the same person, so the hour is billed now, once.
 */

const w = useMeteringWorld();

describe('a queued billing run whose worker died', () => {
  it('is marked failed by its retried job, which bills the hour once as a new run for the same person', async () => {
    const hour = plusHours(await dbHour(w.ctx.db), -3);
    const org = await newOrganization(w.ctx.db, 'Abandoned');
    const servers = [
      await insertServer(w, { organizationId: org, planId: w.catalogue.plans.small.id, createdAt: hour }),
      await insertServer(w, { organizationId: org, planId: w.catalogue.plans.small.id, createdAt: hour }),
    ];
    const admin = await createPerson(w.ctx, 'Ada Admin', { verified: true, email: uniqueEmail('ada') });
    const staff = staffActor(admin);
    const queued = await startBillingRun(w.ctx.deps, staff, { hour });
    // Its worker took it up and died before charging (its session lock went with it).
    await sql`update billing_runs set status = 'running', worker = 'gone:1', started_at = now() where id = ${queued.id}`.execute(
      w.ctx.db,
    );

    const summary = await billHourJob(
      w.ctx.deps,
      { hour: hour.toISOString(), runId: queued.id, trigger: 'admin' },
      null,
    );
    expect(summary).toMatchObject({ hours: 1, instances: 2 });
    expect(await readRun(w.ctx.db, queued.id)).toMatchObject({ status: 'failed', errors: [ABANDONED] });
    const runs = await w.ctx.db
      .selectFrom('billing_runs')
      .select(['status', 'trigger', 'requested_by', 'instances_charged'])
      .where('hour_start', '=', hour)
      .where('id', '<>', queued.id)
      .execute();
    expect(runs).toEqual([{ status: 'succeeded', trigger: 'admin', requested_by: admin.id, instances_charged: 2 }]);
    for (const s of servers)
      expect((await chargesOf(w.ctx.db, s)).filter((c) => +c.hour_start === +hour)).toHaveLength(1);

    // The job again (pg-boss may deliver twice): the run stays failed, nothing is charged twice.
    expect(
      await billHourJob(w.ctx.deps, { hour: hour.toISOString(), runId: queued.id, trigger: 'admin' }, null),
    ).toMatchObject({ instances: 0 });
    for (const s of servers)
      expect((await chargesOf(w.ctx.db, s)).filter((c) => +c.hour_start === +hour)).toHaveLength(1);
  });
});
