import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { billHourJob } from '../../jobs/bill-hour.ts';
import { balanceOf, customer, mailTo, runQueuedDunning, serverOf, setBalance, useDunningWorld } from './helpers.ts';

const w = useDunningWorld();

describe('dunning after hourly charges', () => {
  it('an hourly run that takes a wallet below zero queues dunning, which sends the arrears email at once', async () => {
    const { owner, org, actor } = await customer(w, 'Uma Usage');
    const server = await serverOf(w, actor, 'usage-1');
    // The server existed for the two hours before this one, which were never billed.
    await sql`update servers set created_at = created_at - interval '2 hours' where id = ${server}::uuid`.execute(
      w.ctx.db,
    );
    await sql`update server_billing_periods set effective_from = effective_from - interval '2 hours'
               where server_id = ${server}::uuid`.execute(w.ctx.db);
    await setBalance(w, org, 0n);
    await runQueuedDunning(w); // nothing owed yet: nothing to do
    expect(await mailTo(w, owner.email)).toEqual([]);

    await billHourJob(w.ctx.deps, { trigger: 'schedule' }, null);
    expect(await balanceOf(w, org)).toBeLessThan(0n);
    expect(await runQueuedDunning(w)).toBe(1);
    expect((await mailTo(w, owner.email)).map((m) => m.template)).toEqual(['arrears']);

    // A run that charges nothing queues nothing.
    await billHourJob(w.ctx.deps, { trigger: 'schedule' }, null);
    expect(await runQueuedDunning(w)).toBe(0);
  });
});
