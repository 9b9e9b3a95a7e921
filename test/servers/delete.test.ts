import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { divRound } from '../../src/lib/money.ts';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import { runAction } from '../../src/domain/servers/actions.ts';
import { adminDeleteServer } from '../../src/domain/servers/admin.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { deleteServer } from '../../src/domain/servers/delete.ts';
import { syncServers } from '../../src/domain/servers/follow.ts';
import { getServer, listServers, serverCosts } from '../../src/domain/servers/query.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import {
  actorFor,
  balanceOf,
  instanceOf,
  ledgerSum,
  moneyOf,
  setBalance,
  settle,
  smallServer,
  staffActor,
  useServersWorld,
} from './helpers.ts';

const w = useServersWorld();
const TEN = 10_000_000n;
const RATE = hourlyRate(15_000_000n);

async function runningServer(over: Record<string, unknown> = {}) {
  const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w, over));
  await settle(w, server.id);
  return server;
}

/**
 * What BILLING.md says the delete refund is: the unused whole minutes of the charged hour,
 * counted by the database clock when the refund was written, prorated and never above the charge.
 */
async function expectedRefund(serverId: string) {
  const { charges, refunds } = await moneyOf(w, serverId);
  const refund = refunds[0];
  if (!refund) return { charges, refunds, minutes: 0, amount: 0n };
  const { rows } = await sql<{ minutes: number }>`
    select floor(extract(epoch from (hour_start + interval '1 hour' - created_at)) / 60)::int as minutes
      from server_charge_refunds where server_id = ${serverId}`.execute(w.ctx.db);
  const minutes = rows[0]!.minutes;
  const charge = charges.find((c) => c.hour_start.getTime() === refund.hour_start.getTime())!;
  const amount = divRound(charge.amount * BigInt(minutes), 60n);
  return { charges, refunds, minutes, amount: amount > charge.amount ? charge.amount : amount };
}

describe('deleting a server', () => {
  it('deletes the instance, marks the server deleted, and refunds the unused whole minutes of this hour', async () => {
    await setBalance(w, w.acme, TEN);
    const server = await runningServer();
    const { refunded } = await deleteServer(w.ctx.deps, w.olivia, server.id);

    const row = await w.ctx.db.selectFrom('servers').selectAll().where('id', '=', server.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('deleted');
    expect(row.deleted_at).not.toBeNull();
    const instance = (await instanceOf(w, server.id))!;
    expect(instance === null || instance.status === 'deleting').toBe(true);

    const { charges, refunds, minutes, amount } = await expectedRefund(server.id);
    expect(charges.map((c) => c.amount)).toEqual([RATE]);
    const sameHour = (
      await sql<{
        same: boolean;
      }>`select date_trunc('hour', ${row.deleted_at}::timestamptz) = ${charges[0]!.hour_start}::timestamptz as same`.execute(
        w.ctx.db,
      )
    ).rows[0]!.same;
    if (sameHour && minutes > 0) {
      expect(refunds.map((r) => [r.amount, r.minutes])).toEqual([[amount, minutes]]);
      expect(refunded).toBe(amount);
      expect(amount).toBeLessThanOrEqual(RATE);
      const posting = await w.ctx.db
        .selectFrom('ledger_transactions')
        .selectAll()
        .where('id', '=', refunds[0]!.ledger_transaction_id)
        .executeTakeFirstOrThrow();
      expect(posting).toMatchObject({
        kind: 'vps_refund',
        idempotency_key: `vps:refund:${server.id}:${charges[0]!.hour_start.toISOString()}`,
      });
    } else {
      // Deleted in the next hour (the test ran across the hour): that hour has no charge, so nothing to refund.
      expect(refunds).toHaveLength(0);
      expect(refunded).toBe(0n);
    }
    expect(await balanceOf(w, w.acme)).toBe(TEN - RATE + refunded);

    // It reads as deleted, drops out of the list, its charges stay, and nothing can be done to it.
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('deleted');
    const list = await listServers(w.ctx.deps, w.olivia, {}, { limit: 100 });
    expect(list.items.map((s) => s.id)).not.toContain(server.id);
    expect((await serverCosts(w.ctx.deps, w.olivia, server.id)).thisMonth).toBe(RATE - refunded);
    await expect(runAction(w.ctx.deps, w.olivia, server.id, { type: 'reboot' })).rejects.toMatchObject({
      status: 409,
      code: 'server_deleted',
    });
    const log = await w.ctx.db.selectFrom('activity_log').selectAll().where('target_id', '=', server.id).execute();
    expect(log.map((l) => l.action)).toContain('server.deleted');
    // Deleting again changes nothing.
    expect(await deleteServer(w.ctx.deps, w.olivia, server.id)).toEqual({ refunded });
    expect((await moneyOf(w, server.id)).refunds).toHaveLength(refunds.length);
  });

  it('concurrent deletes delete once and refund once', async () => {
    await setBalance(w, w.acme, TEN);
    const server = await runningServer();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => deleteServer(w.ctx.deps, w.olivia, server.id)),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const { refunds, amount } = await expectedRefund(server.id);
    expect(refunds.length).toBeLessThanOrEqual(1);
    const refundPostings = await w.ctx.db
      .selectFrom('ledger_transactions')
      .select('id')
      .where('kind', '=', 'vps_refund')
      .where('idempotency_key', 'like', `vps:refund:${server.id}:%`)
      .execute();
    expect(refundPostings).toHaveLength(refunds.length);
    expect(await balanceOf(w, w.acme)).toBe(TEN - RATE + amount);
    expect(await ledgerSum(w, w.acme)).toBe(await balanceOf(w, w.acme));
    const deletes = await w.ctx.db
      .selectFrom('server_actions')
      .select('status')
      .where('server_id', '=', server.id)
      .where('type', '=', 'delete')
      .execute();
    expect(deletes).toEqual([{ status: 'completed' }]);
  });

  it('an instance already gone at the provider counts as deleted', async () => {
    await setBalance(w, w.acme, TEN);
    const server = await runningServer();
    w.cloud.emu.removeInstance((await instanceOf(w, server.id))!.id);
    await deleteServer(w.ctx.deps, w.olivia, server.id);
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('deleted');
  });

  it('a provider failure puts the server back as it was, says why, and a retry deletes it', async () => {
    await setBalance(w, w.acme, TEN);
    const server = await runningServer();
    w.cloud.emu.inject({ type: 'maintenance' }, { op: 'delete_instance' });
    await expect(deleteServer(w.ctx.deps, w.olivia, server.id)).rejects.toMatchObject({
      status: 503,
      message: expect.stringMatching(/maintenance/),
    });
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('running');
    expect((await moneyOf(w, server.id)).refunds).toHaveLength(0);
    await deleteServer(w.ctx.deps, w.olivia, server.id);
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('deleted');
  });

  it('a failed create is dismissed to deleted without a second refund', async () => {
    await setBalance(w, w.acme, TEN);
    w.cloud.emu.inject({ type: 'validation', field: 'root_pass' }, { op: 'create_instance' });
    const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w));
    expect(server.status).toBe('failed');
    expect(await balanceOf(w, w.acme)).toBe(TEN);
    expect(await deleteServer(w.ctx.deps, w.olivia, server.id)).toEqual({ refunded: 0n });
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('deleted');
    expect(await balanceOf(w, w.acme)).toBe(TEN);
  });

  it('a delete left half-way (the process died after the provider deleted) is finished by the sync', async () => {
    await setBalance(w, w.acme, TEN);
    const server = await runningServer();
    await w.ctx.db.updateTable('servers').set({ status: 'deleting' }).where('id', '=', server.id).execute();
    w.cloud.emu.removeInstance((await instanceOf(w, server.id))!.id);
    await syncServers(w.ctx.deps);
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('deleted');
    const { refunds, amount } = await expectedRefund(server.id);
    expect(await balanceOf(w, w.acme)).toBe(TEN - RATE + (refunds.length ? amount : 0n));
  });

  it('needs vps_delete: a member who may manage servers may not delete them', async () => {
    await setBalance(w, w.acme, TEN);
    const server = await runningServer();
    const member = actorFor({ id: w.olivia.userId }, w.acme, 'member');
    await expect(deleteServer(w.ctx.deps, member, server.id)).rejects.toMatchObject({ status: 403 });
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('running');
  });

  it('staff delete any organization’s server with a reason, recorded with it', async () => {
    await setBalance(w, w.acme, TEN);
    const server = await runningServer();
    const ada = await createPerson(w.ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('ada') });
    const staff = staffActor(ada);
    await expect(adminDeleteServer(w.ctx.deps, staff, server.id, { reason: ' ' })).rejects.toMatchObject({
      status: 422,
      fields: { reason: expect.any(String) },
    });
    await expect(adminDeleteServer(w.ctx.deps, w.olivia, server.id, { reason: 'abuse' })).rejects.toMatchObject({
      status: 403,
    });
    await adminDeleteServer(w.ctx.deps, staff, server.id, { reason: 'Abuse report #42' });
    const row = await w.ctx.db.selectFrom('servers').selectAll().where('id', '=', server.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'deleted', deleted_reason: 'Abuse report #42' });
    const entry = await w.ctx.db
      .selectFrom('activity_log')
      .selectAll()
      .where('target_id', '=', server.id)
      .where('action', '=', 'admin.server_deleted')
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor_user_id: ada.id, organization_id: w.acme });
    expect(entry.details).toMatchObject({ reason: 'Abuse report #42' });
  });
});

/** A small deterministic PRNG, so a failing run can be replayed. */
function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('create and delete in the same hour (property)', () => {
  it('never refunds more than the charge, never nets below zero or above the hour’s charge, and the wallet is the ledger', async () => {
    const seed = 20261206;
    const random = mulberry32(seed);
    const start = 50_000_000n;
    await setBalance(w, w.globex, start);
    const plans = [w.catalogue.plans.small, w.catalogue.plans.medium, w.catalogue.plans.dedicated];
    const made: string[] = [];
    for (let i = 0; i < 16; i++) {
      const plan = plans[Math.floor(random() * plans.length)]!;
      const fail = random() < 0.2;
      if (fail) w.cloud.emu.inject({ type: 'validation', field: 'root_pass' }, { op: 'create_instance' });
      const { server } = await createServer(w.ctx.deps, w.oscar, {
        label: `prop-${seed}-${i}`,
        region: 'us-east',
        planId: plan.id,
        image: w.catalogue.images[Math.floor(random() * 3)]!,
        backups: random() < 0.5,
      });
      made.push(server.id);
      if (!fail && random() < 0.5) await settle(w, server.id);
      const deletes = 1 + Math.floor(random() * 3);
      await Promise.all(Array.from({ length: deletes }, () => deleteServer(w.ctx.deps, w.oscar, server.id)));
    }
    let net = 0n;
    for (const id of made) {
      const { charges, refunds } = await moneyOf(w, id);
      expect(charges).toHaveLength(1);
      expect(refunds.length).toBeLessThanOrEqual(1);
      const charged = charges[0]!.amount;
      const refunded = refunds[0]?.amount ?? 0n;
      expect(refunded).toBeLessThanOrEqual(charged);
      expect(charged - refunded).toBeGreaterThanOrEqual(0n);
      expect(charged - refunded).toBeLessThanOrEqual(charged);
      net += charged - refunded;
    }
    expect(await balanceOf(w, w.globex)).toBe(start - net);
    expect(await ledgerSum(w, w.globex)).toBe(start - net);
  }, 60_000);
});
