import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { followServer } from '../../src/domain/servers/follow.ts';
import { syncServers } from '../../src/domain/servers/follow.ts';
import type { LinodeFault } from '../../src/providers/linode/emulator/index.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { balanceOf, moneyOf, queuedFollowUps, setBalance, settle, smallServer, useServersWorld } from './helpers.ts';

const w = useServersWorld();
const RATE = hourlyRate(15_000_000n);
const TEN = 10_000_000n;

/** The server failed with these customer words, its first hour went back in full, once, and nothing exists at the provider. */
async function expectFailedAndReturned(serverId: string, reason: string | RegExp) {
  const row = await w.ctx.db.selectFrom('servers').selectAll().where('id', '=', serverId).executeTakeFirstOrThrow();
  expect(row.status).toBe('failed');
  expect(row.failure_reason).toMatch(reason);
  expect(row.failure_reason).not.toMatch(/linode|akamai/i);
  expect(row.deleted_at).not.toBeNull();
  expect(row.provider_instance_id).toBeNull();
  const { charges, refunds } = await moneyOf(w, serverId);
  expect(charges.map((c) => c.amount)).toEqual([RATE]);
  expect(refunds.map((r) => [r.amount, r.minutes])).toEqual([[RATE, 60]]);
  const refund = await w.ctx.db
    .selectFrom('ledger_transactions')
    .selectAll()
    .where('id', '=', refunds[0]!.ledger_transaction_id)
    .executeTakeFirstOrThrow();
  expect(refund.kind).toBe('vps_refund');
  expect(refund.idempotency_key).toBe(`vps:refund:${serverId}:${charges[0]!.hour_start.toISOString()}`);
  expect(await balanceOf(w, w.acme)).toBe(TEN);
  const [action] = await w.ctx.db.selectFrom('server_actions').selectAll().where('server_id', '=', serverId).execute();
  expect(action).toMatchObject({ type: 'create', status: 'failed', error: row.failure_reason });
  expect(String(action!.details.provider_error)).toMatch(/Linode/);
  const activity = await w.ctx.db
    .selectFrom('activity_log')
    .select('action')
    .where('target_id', '=', serverId)
    .orderBy('occurred_at')
    .execute();
  expect(activity.map((a) => a.action)).toEqual(['server.created', 'server.create_failed']);
  expect(w.cloud.emu.instances().filter((i) => i.tags.includes(row.create_tag))).toHaveLength(0);
}

async function createWith(fault: LinodeFault, label?: string) {
  await setBalance(w, w.acme, TEN);
  w.cloud.emu.clearFaults();
  w.cloud.emu.inject(fault, { op: 'create_instance' });
  return (await createServer(w.ctx.deps, w.olivia, smallServer(w, label ? { label } : {}))).server;
}

describe('when the provider refuses a create', () => {
  it('a validation refusal (400) fails the server with the customer’s words and returns the first hour', async () => {
    const server = await createWith({ type: 'validation', field: 'root_pass' }, 'refused-1');
    expect(server).toMatchObject({ status: 'failed', failureReason: 'Choose a stronger root password.' });
    await expectFailedAndReturned(server.id, 'Choose a stronger root password.');
    // The label is free again, and a retry works.
    await setBalance(w, w.acme, TEN);
    const again = await createServer(w.ctx.deps, w.olivia, smallServer(w, { label: 'refused-1' }));
    expect(again.server.status).toBe('provisioning');
  });

  it('"busy" (400) and a rate limit (429 with Retry-After) fail it too: a create is never blindly repeated', async () => {
    const busy = await createWith({ type: 'busy' });
    await expectFailedAndReturned(busy.id, /busy/);
    const limited = await createWith({ type: 'rate_limited', retryAfter: 3 });
    await expectFailedAndReturned(limited.id, /Too many requests/);
    expect(w.cloud.emu.requests().filter((r) => r.op === 'create_instance' && r.status === 429)).toHaveLength(1);
  });

  it('a 500 or a 503 with no instance carrying the tag fails it and returns the hour', async () => {
    const five = await createWith({ type: 'server_error' });
    await expectFailedAndReturned(five.id, /had a problem/);
    const unavailable = await createWith({ type: 'unavailable' });
    await expectFailedAndReturned(unavailable.id, /problem|heavy load/);
  });

  it('a time-out with nothing created fails it and returns the hour', async () => {
    const server = await createWith({ type: 'delay', ms: 2_500 });
    await expectFailedAndReturned(server.id, /did not answer in time/);
  }, 20_000);

  it('failing twice (the follow-up job and the sync) returns the hour once', async () => {
    const server = await createWith({ type: 'validation', field: 'root_pass' });
    await followServer(w.ctx.deps, { serverId: server.id, attempt: 0 });
    await syncServers(w.ctx.deps);
    await expectFailedAndReturned(server.id, /stronger/);
  });
});

describe('when a create succeeds but its answer is lost', () => {
  it('the tag finds the instance: the server proceeds and keeps its charge', async () => {
    const server = await createWith({ type: 'succeeds_late', ms: 2_500 });
    expect(server.status).toBe('provisioning');
    expect(server.ipv4).toHaveLength(1);
    expect(await settle(w, server.id)).toBe('running');
    const { charges, refunds } = await moneyOf(w, server.id);
    expect(charges.map((c) => c.amount)).toEqual([RATE]);
    expect(refunds).toHaveLength(0);
    expect(w.cloud.emu.instances().filter((i) => i.label.startsWith(server.label))).toHaveLength(1);
  }, 20_000);

  it('when even the lookup fails, it stays provisioning (charged) and the follow-up job finds it later', async () => {
    await setBalance(w, w.acme, TEN);
    w.cloud.emu.clearFaults();
    w.cloud.emu.inject({ type: 'succeeds_late', ms: 2_500 }, { op: 'create_instance' });
    w.cloud.emu.inject({ type: 'maintenance' }, { op: 'list_instances', times: 2 });
    const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w));
    expect(server.status).toBe('provisioning');
    const row = await w.ctx.db.selectFrom('servers').selectAll().where('id', '=', server.id).executeTakeFirstOrThrow();
    expect(row.provider_instance_id).toBeNull();
    expect(await queuedFollowUps(w, server.id)).toBe(1);
    expect(await balanceOf(w, w.acme)).toBe(TEN - RATE);

    w.cloud.emu.settle();
    expect(await followServer(w.ctx.deps, { serverId: server.id, attempt: 0 })).toBe('running');
    const found = await w.ctx.db
      .selectFrom('servers')
      .selectAll()
      .where('id', '=', server.id)
      .executeTakeFirstOrThrow();
    expect(found.provider_instance_id).not.toBeNull();
    expect((await moneyOf(w, server.id)).refunds).toHaveLength(0);
  }, 20_000);

  it('a create whose instance never appears is failed and its hour returned after the wait, not before', async () => {
    await setBalance(w, w.acme, TEN);
    w.cloud.emu.clearFaults();
    w.cloud.emu.inject({ type: 'server_error' }, { op: 'create_instance' });
    w.cloud.emu.inject({ type: 'maintenance' }, { op: 'list_instances', times: 2 });
    const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w));
    expect(server.status).toBe('provisioning');

    expect(await followServer(w.ctx.deps, { serverId: server.id, attempt: 0 })).toBe('provisioning');
    expect((await moneyOf(w, server.id)).refunds).toHaveLength(0);

    await w.ctx.db
      .updateTable('servers')
      .set({ created_at: sql`now() - interval '16 minutes'` })
      .where('id', '=', server.id)
      .execute();
    expect(await followServer(w.ctx.deps, { serverId: server.id, attempt: 1 })).toBe('failed');
    const row = await w.ctx.db.selectFrom('servers').selectAll().where('id', '=', server.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.failure_reason).toBe(
      'The server could not be created. Its first hour was returned to your wallet; please try again.',
    );
    const { refunds } = await moneyOf(w, server.id);
    expect(refunds.map((r) => r.amount)).toEqual([RATE]);
    expect(await balanceOf(w, w.acme)).toBe(TEN);
  });
});

describe('when the provider cannot be reached at all', () => {
  it('a provider without credentials fails the create at once and returns the hour', async () => {
    const broken = await seedServerCatalogue(w.ctx.db, { emulated: false, name: 'No token' });
    await setBalance(w, w.acme, TEN);
    const { server } = await createServer(w.ctx.deps, w.olivia, {
      label: 'no-token-1',
      region: 'us-east',
      planId: broken.plans.small.id,
      image: broken.images[0]!,
    });
    expect(server.status).toBe('failed');
    expect(server.failureReason).not.toMatch(/linode|token/i);
    const { refunds } = await moneyOf(w, server.id);
    expect(refunds.map((r) => r.amount)).toEqual([RATE]);
    expect(await balanceOf(w, w.acme)).toBe(TEN);
  });
});
