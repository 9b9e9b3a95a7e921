import { describe, expect, it } from 'vitest';
import { runAction } from '../../src/domain/servers/actions.ts';
import { settledTopUp } from '../billing/payments.ts';
import {
  balanceOf,
  customer,
  DAY,
  HOUR,
  instanceStatus,
  mailTo,
  memberOf,
  run,
  runQueuedDunning,
  serverOf,
  setBalance,
  settle,
  statusOf,
  stepsOf,
  SUSPEND_HOURS,
  useDunningWorld,
} from './helpers.ts';

const w = useDunningWorld();
const templates = async (to: string) => (await mailTo(w, to)).map((m) => m.template);

describe('an organization whose balance runs out', () => {
  it('is reminded at once and daily, suspended after the hours, warned 24 h before, and its servers are deleted at the deadline', async () => {
    const { owner, org, actor } = await customer(w, 'Dora Debtor');
    // Billing contacts: the owner and a member whose role holds billing_manage; not a viewer.
    const accountant = await memberOf(w, org, 'Abe Accountant', ['billing_view', 'billing_manage']);
    const viewer = await memberOf(w, org, 'Vic Viewer', ['vps_view', 'billing_view']);
    const web = await serverOf(w, actor, 'web-1');
    const db = await serverOf(w, actor, 'db-1', 'offline');
    await setBalance(w, org, -3_456_789n);
    const start = w.ctx.clock.now();
    const at = (ms: number) => w.ctx.clock.set(new Date(start.getTime() + ms));

    // At once: a case, one arrears email (balance with 2 decimals, when things happen, where to pay).
    await run(w);
    expect(await templates(owner.email)).toEqual(['arrears']);
    expect(await templates(accountant.email)).toEqual(['arrears']);
    expect(await templates(viewer.email)).toEqual([]);
    const [first] = await mailTo(w, owner.email);
    expect(first!.subject).toContain('-$3.46');
    expect(first!.text).toContain('-$3.46');
    expect(first!.text).toMatch(/suspended on .* UTC/);
    expect(first!.text).toContain(`http://localhost:3000/active-organization/${org}?next=%2Fbilling%23add-funds-h`);
    expect(first!.html).toContain('Add funds');

    // Not twice in 24 h, however often the job runs.
    at(12 * HOUR);
    await run(w);
    await run(w);
    expect(await templates(owner.email)).toEqual(['arrears']);
    // Again a day later.
    at(DAY);
    await run(w);
    expect(await templates(owner.email)).toEqual(['arrears', 'arrears']);
    expect((await statusOf(w, web)).status).toBe('running');

    // Suspension after DUNNING_SUSPEND_AFTER_HOURS: powered off at the provider, marked suspended.
    at(SUSPEND_HOURS * HOUR - 60_000);
    await run(w);
    expect((await statusOf(w, web)).status).toBe('running');
    at(SUSPEND_HOURS * HOUR);
    const tally = await run(w);
    expect(tally).toMatchObject({ suspended: 2, failed: 0 });
    expect(await statusOf(w, web)).toMatchObject({ status: 'suspended', resume_running: true });
    expect(await statusOf(w, db)).toMatchObject({ status: 'suspended', resume_running: false });
    expect(await instanceStatus(w, web)).toBe('shutting_down');
    w.cloud.emu.settle();
    expect(await instanceStatus(w, web)).toBe('offline');
    expect(w.cloud.emu.requests().filter((r) => r.op === 'shutdown').length).toBeGreaterThanOrEqual(1);
    // The suspension email stands for that day's reminder.
    expect(await templates(owner.email)).toEqual(['arrears', 'arrears', 'suspension']);
    expect((await mailTo(w, owner.email))[2]!.text).toMatch(/2 servers were powered off and suspended/);

    // The customer cannot boot it (nor reboot it), and the minute sync keeps it suspended.
    await expect(runAction(w.ctx.deps, actor, web, { type: 'boot' })).rejects.toMatchObject({
      status: 422,
      code: 'server_suspended',
    });
    await expect(runAction(w.ctx.deps, actor, web, { type: 'reboot' })).rejects.toMatchObject({ status: 422 });
    expect(await settle(w, web)).toBe('suspended');

    // Daily reminders go on, saying the servers are suspended.
    at(3 * DAY);
    await run(w);
    expect(await templates(owner.email)).toEqual(['arrears', 'arrears', 'suspension', 'arrears']);
    expect((await mailTo(w, owner.email))[3]!.text).toContain('Its servers are suspended');

    // The final notice 24 h before the deadline (7 days).
    at(6 * DAY - 60_000);
    await run(w);
    expect((await templates(owner.email)).filter((t) => t === 'final_notice')).toEqual([]);
    at(6 * DAY);
    await run(w);
    expect((await templates(owner.email)).at(-1)).toBe('final_notice');
    expect((await mailTo(w, owner.email)).at(-1)!.text).toMatch(/will be deleted/);

    // At the deadline the servers are deleted through the delete path, as the system.
    at(7 * DAY - 60_000);
    await run(w);
    expect((await statusOf(w, web)).status).toBe('suspended');
    const before = await balanceOf(w, org);
    at(7 * DAY);
    expect(await run(w)).toMatchObject({ deleted: 2 });
    expect(await statusOf(w, web)).toMatchObject({
      status: 'deleted',
      deleted_reason: expect.stringMatching(/non-payment/),
    });
    expect((await statusOf(w, db)).status).toBe('deleted');
    expect(await instanceStatus(w, web)).toBe('deleting');
    w.cloud.emu.settle();
    expect(w.cloud.emu.instance((await statusOf(w, web)).provider_instance_id!)).toBeNull();
    // The delete path's prorated refund of the current hour still applies (never more than the hour).
    expect(await balanceOf(w, org)).toBeGreaterThanOrEqual(before);
    expect((await templates(owner.email)).at(-1)).toBe('termination');
    const deletes = await w.ctx.db
      .selectFrom('server_actions')
      .select(['type', 'status', 'requested_by'])
      .where('server_id', '=', web)
      .where('type', 'in', ['suspend', 'delete'])
      .orderBy('created_at')
      .execute();
    expect(deletes).toEqual([
      { type: 'suspend', status: 'completed', requested_by: null },
      { type: 'delete', status: 'completed', requested_by: null },
    ]);

    // After termination: no more reminders; the case stays open while the balance is below zero.
    const mails = (await templates(owner.email)).length;
    at(9 * DAY);
    await run(w);
    await run(w);
    expect((await templates(owner.email)).length).toBe(mails);
    const steps = (await stepsOf(w, org)).filter((s) => s.outcome === 'done').map((s) => s.step);
    expect(steps).toEqual([
      'opened',
      'arrears_notice',
      'arrears_notice',
      'suspend_server',
      'suspend_server',
      'suspension',
      'arrears_notice',
      'arrears_notice',
      'final_notice',
      'delete_server',
      'delete_server',
      'termination',
    ]);
  });

  it('running the job twice at the same moment changes nothing more', async () => {
    const { owner, org, actor } = await customer(w, 'Tess Twice');
    const web = await serverOf(w, actor, 'twice-1');
    await setBalance(w, org, -1_000_000n);
    const start = w.ctx.clock.now();
    for (const t of [0, DAY, SUSPEND_HOURS * HOUR, 6 * DAY]) {
      w.ctx.clock.set(new Date(start.getTime() + t));
      await Promise.all([run(w), run(w)]);
      const steps = await stepsOf(w, org);
      const mails = await mailTo(w, owner.email);
      const actions = await w.ctx.db.selectFrom('server_actions').select('id').where('server_id', '=', web).execute();
      await run(w);
      expect(await stepsOf(w, org)).toEqual(steps);
      expect(await mailTo(w, owner.email)).toEqual(mails);
      expect(
        (await w.ctx.db.selectFrom('server_actions').select('id').where('server_id', '=', web).execute()).length,
      ).toBe(actions.length);
    }
    expect(await templates(owner.email)).toEqual(['arrears', 'arrears', 'suspension', 'final_notice']);
    const instance = (await statusOf(w, web)).provider_instance_id!;
    expect(w.cloud.emu.requests().filter((r) => r.op === 'shutdown' && r.path.includes(instance)).length).toBe(1);
  });

  it('a top-up that brings the balance back lifts the suspension at once and boots the server that was running, not the one that was off', async () => {
    const { owner, org, actor } = await customer(w, 'Rita Return');
    const web = await serverOf(w, actor, 'rita-web');
    const spare = await serverOf(w, actor, 'rita-spare', 'offline');
    await setBalance(w, org, -2_000_000n);
    const start = w.ctx.clock.now();
    await run(w);
    w.ctx.clock.set(new Date(start.getTime() + SUSPEND_HOURS * HOUR));
    await run(w);
    w.cloud.emu.settle();
    expect((await statusOf(w, web)).status).toBe('suspended');

    // Too little: still below zero, nothing lifts.
    await settledTopUp(w.ctx.deps, org, 1_000_000n);
    expect(await runQueuedDunning(w)).toBe(0);
    expect((await statusOf(w, web)).status).toBe('suspended');

    // Enough: the settlement queued the dunning job for the organization in its transaction.
    await settledTopUp(w.ctx.deps, org, 5_000_000n);
    expect(await balanceOf(w, org)).toBe(4_000_000n);
    expect(await runQueuedDunning(w)).toBe(1);
    // The job ran for that organization alone and recorded what it did.
    const jobRun = await w.ctx.db
      .selectFrom('job_runs')
      .select(['status', 'summary'])
      .where('queue', '=', 'billing.dunning')
      .orderBy('started_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(jobRun).toMatchObject({ status: 'succeeded', summary: { organizations: 1, lifted: 1, resumed: 2 } });
    expect((await statusOf(w, web)).status).toBe('booting');
    expect(await statusOf(w, spare)).toMatchObject({ status: 'offline', resume_running: false, suspended_at: null });
    expect(await settle(w, web)).toBe('running');
    expect(await instanceStatus(w, web)).toBe('running');
    expect(await instanceStatus(w, spare)).toBe('offline');
    const boots = w.cloud.emu.requests().filter((r) => r.op === 'boot');
    const spareInstance = (await statusOf(w, spare)).provider_instance_id!;
    expect(boots.some((r) => r.path.includes(spareInstance))).toBe(false);

    const c = await w.ctx.db
      .selectFrom('dunning_cases')
      .selectAll()
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    expect(c.lifted_at).not.toBeNull();
    // The customer may use the server again.
    await runAction(w.ctx.deps, actor, web, { type: 'reboot' });
    expect(await settle(w, web)).toBe('running');
    // A later scheduled run has nothing to do for it.
    expect(await run(w)).toMatchObject({ resumed: 0, suspended: 0 });
    expect((await templates(owner.email)).filter((t) => t === 'suspension').length).toBe(1);
  });

  it('a staff credit lifts the case too, and the next arrears opens a new case from the start', async () => {
    const { owner, org, actor } = await customer(w, 'Carl Credit');
    await serverOf(w, actor, 'carl-web');
    await setBalance(w, org, -1_000_000n);
    await run(w);
    const { adjustWallet } = await import('../../src/domain/wallets/adjustments.ts');
    const staff = await (
      await import('../helpers/people.ts')
    ).createPerson(w.ctx, 'Stan Staff', {
      isAdmin: true,
      email: (await import('../helpers/people.ts')).uniqueEmail('stan'),
    });
    const { staffActor } = await import('../servers/helpers.ts');
    await adjustWallet(w.ctx.deps, staffActor(staff), {
      organizationId: org,
      values: { adjustment_id: crypto.randomUUID(), direction: 'credit', amount: '2.00', reason: 'Goodwill' },
    });
    expect(await runQueuedDunning(w)).toBe(1);
    const cases = () =>
      w.ctx.db
        .selectFrom('dunning_cases')
        .selectAll()
        .where('organization_id', '=', org)
        .orderBy('created_at')
        .execute();
    expect((await cases()).map((c) => c.lifted_at !== null)).toEqual([true]);

    w.ctx.clock.advance(HOUR);
    await setBalance(w, org, -500_000n);
    await run(w);
    expect((await cases()).map((c) => c.lifted_at !== null)).toEqual([true, false]);
    expect(await templates(owner.email)).toEqual(['arrears', 'arrears']);
  });
});
