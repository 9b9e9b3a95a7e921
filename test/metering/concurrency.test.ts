import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/index.ts';
import { runHourlyBilling } from '../../src/domain/metering/hourly.ts';
import { ABANDONED } from '../../src/domain/metering/runs.ts';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import { ConflictError } from '../../src/lib/errors.ts';
import { seedFleet } from '../../bench/billing-seed.ts';
import { dbHour, engineProblems, newPlan, plusHours, rateOf, useMeteringWorld } from './helpers.ts';

const w = useMeteringWorld();
const price = { base: 6_000_000n, markup: 1_000_000n, backups: 0n };

/** How often each server of `orgs` was charged for `hour`, and what its wallets lost. */
async function outcome(orgs: string[], hour: Date) {
  const rows = await sql<{ servers: string; charged: string; twice: string; total: string | null }>`
    select (select count(*) from servers where organization_id = any(${orgs}::uuid[])) as servers,
           count(c.server_id) as charged,
           (select count(*) from (select server_id from server_charges where hour_start = ${hour}::timestamptz
                                   group by 1 having count(*) > 1) d) as twice,
           sum(c.amount) as total
      from server_charges c where c.organization_id = any(${orgs}::uuid[]) and c.hour_start = ${hour}::timestamptz`.execute(
    w.ctx.db,
  );
  const r = rows.rows[0]!;
  const wallets = await sql<{
    sum: string;
  }>`select coalesce(sum(balance), 0) as sum from wallets where organization_id = any(${orgs}::uuid[])`.execute(
    w.ctx.db,
  );
  return {
    servers: Number(r.servers),
    charged: Number(r.charged),
    twice: Number(r.twice),
    total: BigInt(r.total ?? 0),
    wallets: BigInt(wallets.rows[0]!.sum),
  };
}

describe('concurrent runs of one hour charge each server-hour once', () => {
  for (const [n, hoursBack] of [
    [2, 10],
    [5, 11],
    [10, 12],
  ] as const) {
    it(`${n} runners, each on its own connection pool`, async () => {
      const plan = await newPlan(w, price);
      const current = await dbHour(w.ctx.db);
      const hour = plusHours(current, -hoursBack);
      const { organizationIds } = await seedFleet(w.ctx.db, {
        organizations: 20,
        servers: 400,
        providerId: w.catalogue.providerId,
        planId: plan,
        createdAt: plusHours(hour, -1),
      });
      const pools = Array.from({ length: n }, () => createDb(w.ctx.url, 2));
      try {
        const results = await Promise.allSettled(
          pools.map((db) => runHourlyBilling({ ...w.ctx.deps, db }, { hour, trigger: 'schedule', batchServers: 50 })),
        );
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
        expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
        // Whoever lost the race for the hour runs it again afterwards: nothing left to charge.
        const again = await runHourlyBilling(w.ctx.deps, { hour, trigger: 'schedule' });
        expect(again.instancesCharged).toBe(0);
      } finally {
        await Promise.all(pools.map((db) => db.destroy()));
      }
      const o = await outcome(organizationIds, hour);
      expect(o).toEqual({
        servers: 400,
        charged: 400,
        twice: 0,
        total: 400n * rateOf(price, false),
        wallets: -400n * rateOf(price, false),
      });
      expect(await engineProblems(w.ctx.db)).toEqual([]);
    });
  }
});

describe('a worker killed with SIGKILL mid-run', () => {
  it('leaves whole batches only; the next run marks it abandoned and charges the rest exactly once', async () => {
    const plan = await newPlan(w, price);
    const current = await dbHour(w.ctx.db);
    const hour = plusHours(current, -20);
    const { organizationIds } = await seedFleet(w.ctx.db, {
      organizations: 200,
      servers: 6_000,
      providerId: w.catalogue.providerId,
      planId: plan,
      createdAt: plusHours(hour, -1),
    });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/metering/chaos-child.ts', w.ctx.url, hour.toISOString(), '100'],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Kill once some batches have committed and others have not.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { n } = (
        await sql<{
          n: string;
        }>`select count(*) as n from server_charges where hour_start = ${hour}::timestamptz`.execute(w.ctx.db)
      ).rows[0]!;
      if (Number(n) >= 500) break;
      if (Date.now() > deadline) throw new Error('the child never started charging');
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    const partial = await outcome(organizationIds, hour);
    expect(partial.charged).toBeGreaterThan(0);
    expect(partial.charged).toBeLessThan(6_000);
    expect(partial.twice).toBe(0);
    expect(await checkLedgerInvariants(w.ctx.db)).toEqual([]);
    expect(await engineProblems(w.ctx.db)).toEqual([]);

    // The dead worker's session (and its lock) is gone once PostgreSQL notices: then a run goes.
    let run;
    for (let i = 0; ; i++) {
      try {
        run = await runHourlyBilling(w.ctx.deps, { hour, trigger: 'catch_up' });
        break;
      } catch (err) {
        if (!(err instanceof ConflictError) || i > 200) throw err;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    expect(run.instancesCharged).toBe(6_000 - partial.charged);
    const dead = await w.ctx.db
      .selectFrom('billing_runs')
      .selectAll()
      .where('hour_start', '=', hour)
      .where('id', '<>', run.id)
      .execute();
    expect(dead.map((d) => [d.status, d.errors])).toEqual([['failed', [ABANDONED]]]);
    const o = await outcome(organizationIds, hour);
    expect(o).toMatchObject({ servers: 6_000, charged: 6_000, twice: 0, total: 6_000n * rateOf(price, false) });
    expect(o.wallets).toBe(-o.total);
    expect(await engineProblems(w.ctx.db)).toEqual([]);
  });
});
