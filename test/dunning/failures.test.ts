import { describe, expect, it } from 'vitest';
import { runDunning } from '../../src/domain/dunning/run.ts';
import {
  customer,
  DAY,
  HOUR,
  instanceStatus,
  mailTo,
  run,
  serverOf,
  setBalance,
  statusOf,
  stepsOf,
  SUSPEND_HOURS,
  useDunningWorld,
} from './helpers.ts';

const w = useDunningWorld();

describe('a step the provider refuses', () => {
  it('is recorded as failed and done by the next run, never skipped', async () => {
    const { owner, org, actor } = await customer(w, 'Fred Flaky');
    const web = await serverOf(w, actor, 'fred-web');
    await setBalance(w, org, -1_000_000n);
    const start = w.ctx.clock.now();
    await run(w);
    w.ctx.clock.set(new Date(start.getTime() + SUSPEND_HOURS * HOUR));

    w.cloud.emu.inject({ type: 'maintenance' }, { op: 'shutdown' });
    expect(await run(w)).toMatchObject({ suspended: 0, failed: 1 });
    expect((await statusOf(w, web)).status).toBe('running');
    expect(await instanceStatus(w, web)).toBe('running');
    const failed = (await stepsOf(w, org)).filter((s) => s.outcome === 'failed');
    expect(failed).toEqual([
      expect.objectContaining({ step: 'suspend_server', server_id: web, error: expect.stringMatching(/maintenance/i) }),
    ]);
    const action = await w.ctx.db
      .selectFrom('server_actions')
      .select(['type', 'status'])
      .where('server_id', '=', web)
      .where('type', '=', 'suspend')
      .execute();
    expect(action).toEqual([{ type: 'suspend', status: 'failed' }]);
    // Nothing was suspended, so no suspension email yet.
    expect((await mailTo(w, owner.email)).map((m) => m.template)).not.toContain('suspension');

    // Five minutes later the job tries again and the server is suspended.
    w.ctx.clock.advance(5 * 60_000);
    expect(await run(w)).toMatchObject({ suspended: 1, failed: 0 });
    expect((await statusOf(w, web)).status).toBe('suspended');
    expect((await mailTo(w, owner.email)).map((m) => m.template)).toContain('suspension');

    // A failed boot after the balance is back is retried too.
    await setBalance(w, org, 0n);
    w.cloud.emu.settle();
    w.cloud.emu.inject({ type: 'maintenance' }, { op: 'boot' });
    expect(await run(w)).toMatchObject({ resumed: 0, failed: 1, lifted: 1 });
    expect((await statusOf(w, web)).status).toBe('suspended');
    expect(await run(w)).toMatchObject({ resumed: 1, failed: 0 });
    expect((await statusOf(w, web)).status).toBe('booting');
    const resumes = (await stepsOf(w, org)).filter((s) => s.step === 'resume_server').map((s) => s.outcome);
    expect(resumes).toEqual(['failed', 'done']);
  });

  it('a failed delete at the deadline is retried, and the termination email waits until every server is gone', async () => {
    const { owner, org, actor } = await customer(w, 'Gina Gone');
    const web = await serverOf(w, actor, 'gina-web');
    await setBalance(w, org, -1_000_000n);
    const start = w.ctx.clock.now();
    for (const t of [0, SUSPEND_HOURS * HOUR, 6 * DAY]) {
      w.ctx.clock.set(new Date(start.getTime() + t));
      await run(w);
    }
    w.ctx.clock.set(new Date(start.getTime() + 7 * DAY));
    w.cloud.emu.inject({ type: 'maintenance' }, { op: 'delete_instance' });
    expect(await runDunning(w.ctx.deps)).toMatchObject({ deleted: 0, failed: 1 });
    expect((await statusOf(w, web)).status).toBe('suspended');
    expect((await mailTo(w, owner.email)).map((m) => m.template)).not.toContain('termination');
    w.ctx.clock.advance(5 * 60_000);
    expect(await run(w)).toMatchObject({ deleted: 1 });
    expect((await statusOf(w, web)).status).toBe('deleted');
    expect((await mailTo(w, owner.email)).map((m) => m.template).at(-1)).toBe('termination');
  });
});
