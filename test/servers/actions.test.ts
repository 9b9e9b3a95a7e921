import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import { InsufficientFundsError } from '../../src/domain/ledger/post.ts';
import { runAction } from '../../src/domain/servers/actions.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { followServer, syncServers } from '../../src/domain/servers/follow.ts';
import { reconcileServers } from '../../src/domain/servers/reconcile.ts';
import { getServer, serverActions } from '../../src/domain/servers/query.ts';
import {
  actorFor,
  balanceOf,
  instanceOf,
  moneyOf,
  queuedFollowUps,
  setBalance,
  settle,
  smallServer,
  useServersWorld,
} from './helpers.ts';

const w = useServersWorld();
const TEN = 10_000_000n;

async function runningServer(over: Record<string, unknown> = {}) {
  await setBalance(w, w.acme, TEN);
  const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w, over));
  expect(await settle(w, server.id)).toBe('running');
  return server;
}

const statusOf = async (id: string) => (await getServer(w.ctx.deps, w.olivia, id)).status;

async function activityOf(serverId: string) {
  return w.ctx.db
    .selectFrom('activity_log')
    .select(['action', 'details', 'actor_user_id'])
    .where('target_id', '=', serverId)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
}

describe('power', () => {
  it('shut down, boot and reboot each move through their status to the end the provider reports, with an entry each', async () => {
    const server = await runningServer();

    const down = await runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' });
    expect(down).toMatchObject({
      action: { type: 'shutdown', status: 'running', error: null },
      generatedPassword: null,
    });
    expect(await statusOf(server.id)).toBe('shutting_down');
    expect(await queuedFollowUps(w, server.id)).toBeGreaterThanOrEqual(1);
    expect(await settle(w, server.id)).toBe('offline');

    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'boot' });
    expect(await statusOf(server.id)).toBe('booting');
    expect(await settle(w, server.id)).toBe('running');

    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'reboot' });
    expect(await statusOf(server.id)).toBe('rebooting');
    expect(await settle(w, server.id)).toBe('running');

    const actions = await serverActions(w.ctx.deps, w.olivia, server.id);
    expect(actions.map((a) => [a.type, a.status])).toEqual([
      ['reboot', 'completed'],
      ['boot', 'completed'],
      ['shutdown', 'completed'],
      ['create', 'completed'],
    ]);
    expect(actions.every((a) => a.finishedAt !== null)).toBe(true);
    const log = await activityOf(server.id);
    expect(log.map((l) => l.action)).toEqual([
      'server.created',
      'server.shut_down',
      'server.booted',
      'server.rebooted',
    ]);
    expect(log[1]!.details).toMatchObject({ outcome: 'accepted', name: server.label });
  });

  it('refuses booting a running server and shutting down an off one, saying so', async () => {
    const server = await runningServer();
    await expect(runAction(w.ctx.deps, w.olivia, server.id, { type: 'boot' })).rejects.toMatchObject({
      status: 409,
      message: 'The server is already running.',
    });
    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' });
    await settle(w, server.id);
    await expect(runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' })).rejects.toMatchObject({
      status: 409,
      message: 'The server is already off.',
    });
  });

  it('refuses any action while the server is in motion (409, in plain words)', async () => {
    const server = await runningServer();
    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'reboot' });
    await expect(runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' })).rejects.toMatchObject({
      status: 409,
      code: 'server_busy',
      message: 'The server is rebooting; try again when it has finished.',
    });
    await settle(w, server.id);
  });

  it('two actions at once: one runs, the other is told the server is busy', async () => {
    const server = await runningServer();
    const results = await Promise.allSettled([
      runAction(w.ctx.deps, w.olivia, server.id, { type: 'reboot' }),
      runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({
      status: 409,
    });
    await settle(w, server.id);
  });

  it('a provider refusal puts the status back, fails the action with white-label words, and says why', async () => {
    const server = await runningServer();
    const cases = [
      [{ type: 'busy' }, 409, /busy/],
      [{ type: 'rate_limited', retryAfter: 2 }, 503, /Too many requests/],
      [{ type: 'server_error' }, 503, /had a problem/],
      [{ type: 'maintenance' }, 503, /maintenance/],
    ] as const;
    for (const [fault, status, words] of cases) {
      w.cloud.emu.inject(fault, { op: 'shutdown' });
      const err = await runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ status, message: expect.stringMatching(words) });
      expect((err as Error).message).not.toMatch(/linode/i);
      expect(await statusOf(server.id)).toBe('running');
    }
    const actions = await serverActions(w.ctx.deps, w.olivia, server.id);
    expect(actions.slice(0, 4).map((a) => a.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(actions[0]!.error).toMatch(/maintenance/);
    const log = await activityOf(server.id);
    expect(log.filter((l) => l.action === 'server.shut_down').map((l) => l.details.outcome)).toEqual([
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
    // The server still works.
    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' });
    expect(await settle(w, server.id)).toBe('offline');
  });

  it('a member without vps_manage may look but not act (403)', async () => {
    const server = await runningServer();
    const viewer = actorFor({ id: w.olivia.userId }, w.acme, 'viewer');
    await expect(runAction(w.ctx.deps, viewer, server.id, { type: 'reboot' })).rejects.toMatchObject({ status: 403 });
    await expect(runAction(w.ctx.deps, w.olivia, server.id, { type: 'explode' } as never)).rejects.toMatchObject({
      status: 422,
      fields: { type: expect.any(String) },
    });
  });
});

describe('a suspended server', () => {
  it('cannot be booted, rebooted or rebuilt by customers, and status sync never takes it out of suspended', async () => {
    const server = await runningServer();
    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' });
    await settle(w, server.id);
    // Dunning (next issue) marks it so.
    await w.ctx.db
      .updateTable('servers')
      .set({ status: 'suspended', suspended_at: sql`now()` })
      .where('id', '=', server.id)
      .execute();
    for (const action of [
      { type: 'boot' as const },
      { type: 'reboot' as const },
      { type: 'rebuild' as const, image: w.catalogue.images[1]! },
    ]) {
      await expect(runAction(w.ctx.deps, w.olivia, server.id, action)).rejects.toMatchObject({
        status: 422,
        code: 'server_suspended',
        message: expect.stringMatching(/suspended because the organization's balance is below zero/),
      });
    }
    // Someone boots it at the provider: sync, the follow-up job and reconciliation keep it suspended.
    const instance = (await instanceOf(w, server.id))!;
    w.cloud.emu.setStatus(instance.id, 'running');
    expect(await followServer(w.ctx.deps, { serverId: server.id, attempt: 0 })).toBe('suspended');
    await syncServers(w.ctx.deps);
    await reconcileServers(w.ctx.deps);
    const row = await w.ctx.db.selectFrom('servers').selectAll().where('id', '=', server.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('suspended');
    expect(row.provider_status).toBe('running');
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).suspended).toBe(true);
  });
});

describe('rebuild', () => {
  it('rewrites the disk from another image with a new password, and never changes the plan', async () => {
    const server = await runningServer();
    w.cloud.emu.clearRequests();
    const { action, generatedPassword } = await runAction(w.ctx.deps, w.olivia, server.id, {
      type: 'rebuild',
      image: w.catalogue.images[1]!,
      // Whatever else is sent, a rebuild takes no plan.
      ...({
        planId: w.catalogue.plans.medium.id,
        plan_id: w.catalogue.plans.medium.id,
        type_id: 'g6-standard-2',
      } as object),
    });
    expect(action).toMatchObject({ type: 'rebuild', status: 'running' });
    expect(generatedPassword).toHaveLength(24);
    expect(await statusOf(server.id)).toBe('rebuilding');
    const sent = w.cloud.emu.requests().find((r) => r.op === 'rebuild')!;
    expect(sent.body).not.toHaveProperty('type');
    expect(sent.body).toMatchObject({ image: 'linode/debian12', root_pass: '[redacted]' });
    expect(await settle(w, server.id)).toBe('running');
    const after = await getServer(w.ctx.deps, w.olivia, server.id);
    expect(after.image).toBe('debian12');
    expect(after.plan.id).toBe(w.catalogue.plans.small.id);
    expect((await instanceOf(w, server.id))!.type).toBe('g6-standard-1');
    const periods = await w.ctx.db
      .selectFrom('server_billing_periods')
      .selectAll()
      .where('server_id', '=', server.id)
      .execute();
    expect(periods).toHaveLength(1);
  });

  it('refuses an image not allowed, a weak password and foreign SSH keys', async () => {
    const server = await runningServer();
    await expect(runAction(w.ctx.deps, w.olivia, server.id, { type: 'rebuild', image: 'arch' })).rejects.toMatchObject({
      status: 422,
      fields: { image: expect.any(String) },
    });
    await expect(
      runAction(w.ctx.deps, w.olivia, server.id, {
        type: 'rebuild',
        image: w.catalogue.images[1]!,
        rootPassword: 'weak',
      }),
    ).rejects.toMatchObject({ status: 422, fields: { root_password: expect.any(String) } });
    await expect(
      runAction(w.ctx.deps, w.olivia, server.id, {
        type: 'rebuild',
        image: w.catalogue.images[1]!,
        sshKeyIds: ['00000000-0000-4000-8000-000000000000'],
      }),
    ).rejects.toMatchObject({ status: 422, fields: { ssh_key_ids: expect.any(String) } });
    expect(await statusOf(server.id)).toBe('running');
  });
});

describe('resize', () => {
  it('moves to another plan sold in the region; billing follows from the next clock hour', async () => {
    const server = await runningServer();
    const { action } = await runAction(w.ctx.deps, w.olivia, server.id, {
      type: 'resize',
      planId: w.catalogue.plans.medium.id,
    });
    expect(action).toMatchObject({ type: 'resize', status: 'running' });
    expect(await statusOf(server.id)).toBe('resizing');
    expect(await settle(w, server.id)).toBe('running');
    expect((await instanceOf(w, server.id))!.type).toBe('g6-standard-2');
    const view = await getServer(w.ctx.deps, w.olivia, server.id);
    expect(view.plan.id).toBe(w.catalogue.plans.medium.id);
    expect(view.hourlyPrice).toBe(hourlyRate(30_000_000n));
    const periods = await w.ctx.db
      .selectFrom('server_billing_periods')
      .selectAll()
      .where('server_id', '=', server.id)
      .orderBy('effective_from')
      .execute();
    expect(periods.map((p) => p.plan_id)).toEqual([w.catalogue.plans.small.id, w.catalogue.plans.medium.id]);
    expect(periods[1]!.effective_from.getTime() - periods[0]!.effective_from.getTime()).toBe(3_600_000);
    // This hour stays charged at the old rate.
    const { charges } = await moneyOf(w, server.id);
    expect(charges.map((c) => c.amount)).toEqual([hourlyRate(15_000_000n)]);
  });

  it('refuses the current plan, a plan not sold in the server’s region, and another provider’s or unknown plan', async () => {
    const server = await runningServer({ region: 'eu-central' });
    const resize = (planId: string) => runAction(w.ctx.deps, w.olivia, server.id, { type: 'resize', planId });
    await expect(resize(w.catalogue.plans.small.id)).rejects.toMatchObject({
      status: 422,
      fields: { plan_id: 'The server is already on this plan.' },
    });
    await expect(resize(w.catalogue.plans.dedicated.id)).rejects.toMatchObject({
      status: 422,
      fields: { plan_id: "This plan is not sold in the server's region." },
    });
    await expect(resize('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 422 });
    expect(await statusOf(server.id)).toBe('running');
  });

  it('resizing up needs the balance to cover one hour at the new rate; resizing down does not', async () => {
    const server = await runningServer();
    await setBalance(w, w.acme, hourlyRate(30_000_000n) - 1n);
    const err = await runAction(w.ctx.deps, w.olivia, server.id, {
      type: 'resize',
      planId: w.catalogue.plans.medium.id,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientFundsError);
    expect((err as Error).message).toMatch(
      /needs the wallet to cover one hour at its rate \(\$0\.0411\); the balance is \$0\.04/,
    );
    expect(await statusOf(server.id)).toBe('running');
    expect(await balanceOf(w, w.acme)).toBe(hourlyRate(30_000_000n) - 1n);

    await setBalance(w, w.acme, hourlyRate(30_000_000n));
    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'resize', planId: w.catalogue.plans.medium.id });
    await settle(w, server.id);
    await setBalance(w, w.acme, 0n);
    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'resize', planId: w.catalogue.plans.small.id });
    expect(await settle(w, server.id)).toBe('running');
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).plan.id).toBe(w.catalogue.plans.small.id);
  });
});

describe('root password and name', () => {
  it('resets the root password only while the server is off, generating one when none is typed', async () => {
    const server = await runningServer();
    await expect(runAction(w.ctx.deps, w.olivia, server.id, { type: 'reset_password' })).rejects.toMatchObject({
      status: 409,
      message: 'Power the server off before resetting its root password.',
    });
    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' });
    await settle(w, server.id);
    const generated = await runAction(w.ctx.deps, w.olivia, server.id, { type: 'reset_password' });
    expect(generated.action).toMatchObject({ type: 'reset_password', status: 'completed' });
    expect(generated.generatedPassword).toHaveLength(24);
    const typed = await runAction(w.ctx.deps, w.olivia, server.id, {
      type: 'reset_password',
      rootPassword: 'Another-Strong-Pass-9',
    });
    expect(typed.generatedPassword).toBeNull();
    await expect(
      runAction(w.ctx.deps, w.olivia, server.id, { type: 'reset_password', rootPassword: 'password' }),
    ).rejects.toMatchObject({ status: 422, fields: { root_password: expect.any(String) } });
    expect(await statusOf(server.id)).toBe('offline');
  });

  it('renames the server here and at the provider; the label rules and uniqueness hold', async () => {
    const server = await runningServer();
    const other = await runningServer();
    const { action } = await runAction(w.ctx.deps, w.olivia, server.id, { type: 'rename', label: 'api_01' });
    expect(action).toMatchObject({ type: 'rename', status: 'completed' });
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).label).toBe('api_01');
    expect((await instanceOf(w, server.id))!.label).toMatch(/^api_01-[0-9a-f]{8}$/);
    await expect(runAction(w.ctx.deps, w.olivia, other.id, { type: 'rename', label: 'API_01' })).rejects.toMatchObject({
      status: 422,
      fields: { label: 'Another server in this organization already has this name.' },
    });
    await expect(
      runAction(w.ctx.deps, w.olivia, other.id, { type: 'rename', label: 'no spaces' }),
    ).rejects.toMatchObject({
      status: 422,
      fields: { label: expect.any(String) },
    });
    const log = await activityOf(server.id);
    expect(log.at(-1)).toMatchObject({ action: 'server.renamed', details: { name_after: 'api_01' } });
  });
});
