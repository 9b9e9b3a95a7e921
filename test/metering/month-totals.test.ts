import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { runHourlyBilling } from '../../src/domain/metering/hourly.ts';
import {
  at,
  chargesOf,
  engineProblems,
  insertServer,
  monthlyOf,
  newOrganization,
  newPlan,
  plusHours,
  rateOf,
  useMeteringWorld,
} from './helpers.ts';

const w = useMeteringWorld();

describe('monthly totals kept beside the charges', () => {
  it('adds each charge to its server and UTC month, splits at the month end, and refuses changes to charges', async () => {
    const price = { base: 3_000_000n, markup: 650_000n, backups: 0n };
    const plan = await newPlan(w, price);
    const org = await newOrganization(w.ctx.db, 'Totals');
    const server = await insertServer(w, { organizationId: org, planId: plan, createdAt: at('2026-10-31T21:30:00Z') });
    for (let i = 0; i < 5; i++)
      await runHourlyBilling(w.ctx.deps, { hour: plusHours(at('2026-10-31T21:00:00Z'), i), trigger: 'admin' });

    const totals = await w.ctx.db
      .selectFrom('server_month_charges')
      .select(['month', 'charged'])
      .where('server_id', '=', server)
      .orderBy('month')
      .execute();
    const rate = rateOf(price, false);
    expect(totals.map((t) => [t.month.toISOString().slice(0, 10), t.charged])).toEqual([
      ['2026-10-01', rate * 3n],
      ['2026-11-01', rate * 2n],
    ]);
    expect(monthlyOf(price, false)).toBeGreaterThan(rate * 3n);

    const [first] = await chargesOf(w.ctx.db, server);
    await expect(
      sql`update server_charges set amount = 0 where server_id = ${server}::uuid and hour_start = ${first!.hour_start}`.execute(
        w.ctx.db,
      ),
    ).rejects.toThrow(/never change/);
    await expect(sql`delete from server_charges where server_id = ${server}::uuid`.execute(w.ctx.db)).rejects.toThrow(
      /never change/,
    );
    expect(await engineProblems(w.ctx.db)).toEqual([]);
  });
});
