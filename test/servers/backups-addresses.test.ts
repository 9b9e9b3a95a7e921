import { describe, expect, it } from 'vitest';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import { listAddresses, setReverseDns } from '../../src/domain/servers/addresses.ts';
import {
  cancelBackups,
  enableBackups,
  listBackups,
  restoreBackup,
  scheduleBackups,
  takeSnapshot,
} from '../../src/domain/servers/backups.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { getServer, serverActions } from '../../src/domain/servers/query.ts';
import { instanceOf, setBalance, settle, smallServer, useServersWorld } from './helpers.ts';

const w = useServersWorld();

async function runningServer(over: Record<string, unknown> = {}) {
  await setBalance(w, w.acme, 10_000_000n);
  const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w, over));
  await settle(w, server.id);
  return server;
}

const periodsOf = (id: string) =>
  w.ctx.db
    .selectFrom('server_billing_periods')
    .select(['effective_from', 'backups'])
    .where('server_id', '=', id)
    .orderBy('effective_from')
    .execute();

describe('backups', () => {
  it('enabling adds the backups price from the next clock hour; cancelling takes it off from the next hour', async () => {
    const server = await runningServer();
    const enabled = await enableBackups(w.ctx.deps, w.olivia, server.id);
    expect(enabled).toMatchObject({ type: 'enable_backups', status: 'completed' });
    expect((await instanceOf(w, server.id))!.backups.enabled).toBe(true);
    const view = await getServer(w.ctx.deps, w.olivia, server.id);
    expect(view).toMatchObject({
      backupsEnabled: true,
      monthlyPrice: 18_000_000n,
      hourlyPrice: hourlyRate(18_000_000n),
    });
    let periods = await periodsOf(server.id);
    expect(periods.map((p) => p.backups)).toEqual([false, true]);
    expect(periods[1]!.effective_from.getTime() - periods[0]!.effective_from.getTime()).toBe(3_600_000);
    await expect(enableBackups(w.ctx.deps, w.olivia, server.id)).rejects.toMatchObject({ status: 409 });

    await cancelBackups(w.ctx.deps, w.olivia, server.id);
    expect((await instanceOf(w, server.id))!.backups.enabled).toBe(false);
    periods = await periodsOf(server.id);
    expect(periods.map((p) => p.backups)).toEqual([false, false]);
    await expect(cancelBackups(w.ctx.deps, w.olivia, server.id)).rejects.toMatchObject({
      status: 409,
      message: 'Backups are not enabled on this server. Enable them first.',
    });
  });

  it('schedules, snapshots, lists and restores the server’s own backups', async () => {
    const server = await runningServer({ backups: true });
    await expect(
      scheduleBackups(w.ctx.deps, w.olivia, server.id, { day: 'Funday', window: 'W4' }),
    ).rejects.toMatchObject({ status: 422, fields: { day: expect.any(String) } });
    await scheduleBackups(w.ctx.deps, w.olivia, server.id, { day: 'Monday', window: 'W4' });
    expect((await instanceOf(w, server.id))!.backups.schedule).toEqual({ day: 'Monday', window: 'W4' });

    const instanceId = (await instanceOf(w, server.id))!.id;
    w.cloud.emu.takeAutomaticBackup(instanceId);
    const snap = await takeSnapshot(w.ctx.deps, w.olivia, server.id, { label: 'before upgrade' });
    expect(snap).toMatchObject({ type: 'snapshot', status: 'completed' });
    w.cloud.emu.settle();
    const backups = await listBackups(w.ctx.deps, w.olivia, server.id);
    expect(backups.enabled).toBe(true);
    expect(backups.automatic).toHaveLength(1);
    expect(backups.snapshot.current?.label).toBe('before upgrade');

    const restored = await restoreBackup(w.ctx.deps, w.olivia, server.id, { backupId: backups.automatic[0]!.id });
    expect(restored).toMatchObject({ type: 'restore', status: 'running' });
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('rebuilding');
    expect(await settle(w, server.id)).toBe('offline');
    const actions = await serverActions(w.ctx.deps, w.olivia, server.id);
    expect(actions[0]).toMatchObject({ type: 'restore', status: 'completed' });
  });

  it('a backup of another server, or a made-up id, is not found', async () => {
    const mine = await runningServer({ backups: true });
    const other = await runningServer({ backups: true });
    w.cloud.emu.takeAutomaticBackup((await instanceOf(w, other.id))!.id);
    const theirs = (await listBackups(w.ctx.deps, w.olivia, other.id)).automatic[0]!;
    await expect(restoreBackup(w.ctx.deps, w.olivia, mine.id, { backupId: theirs.id })).rejects.toMatchObject({
      status: 404,
    });
    await expect(restoreBackup(w.ctx.deps, w.olivia, mine.id, { backupId: '../1' })).rejects.toMatchObject({
      status: 404,
    });
    expect((await getServer(w.ctx.deps, w.olivia, mine.id)).status).toBe('running');
  });

  it('snapshots and schedules need backups on', async () => {
    const server = await runningServer();
    await expect(takeSnapshot(w.ctx.deps, w.olivia, server.id, { label: 'x' })).rejects.toMatchObject({ status: 409 });
    await expect(scheduleBackups(w.ctx.deps, w.olivia, server.id, { day: null, window: null })).rejects.toMatchObject({
      status: 409,
    });
  });
});

describe('reverse DNS', () => {
  it('names one of the server’s own addresses once the name resolves to it, and resets it', async () => {
    const server = await runningServer();
    const addresses = await listAddresses(w.ctx.deps, w.olivia, server.id);
    const v4 = addresses.find((a) => a.type === 'ipv4' && a.public)!;
    expect(v4.address).toBe(server.ipv4[0]);
    w.cloud.emu.setResolvableNames({ 'mail.example.com': v4.address });

    const action = await setReverseDns(w.ctx.deps, w.olivia, server.id, v4.address, 'Mail.Example.com.');
    expect(action).toMatchObject({ type: 'set_rdns', status: 'completed' });
    expect(w.cloud.emu.state.ips.get(v4.address)?.rdns).toBe('mail.example.com');

    await setReverseDns(w.ctx.deps, w.olivia, server.id, v4.address, null);
    expect(w.cloud.emu.state.ips.get(v4.address)?.rdns).not.toBe('mail.example.com');
  });

  it('needs vps_manage only: the addresses are checked for the caller, not shown to them', async () => {
    const server = await runningServer();
    const v4 = server.ipv4[0]!;
    w.cloud.emu.setResolvableNames({ 'api.example.com': v4 });
    const manageOnly = { ...w.olivia, permissions: new Set(['vps_manage'] as const) };
    await expect(listAddresses(w.ctx.deps, manageOnly, server.id)).rejects.toMatchObject({ status: 403 });
    const action = await setReverseDns(w.ctx.deps, manageOnly, server.id, v4, 'api.example.com');
    expect(action).toMatchObject({ type: 'set_rdns', status: 'completed' });
    expect(w.cloud.emu.state.ips.get(v4)?.rdns).toBe('api.example.com');
  });

  it('refuses a name that does not resolve to the address, in white-label words on the name field', async () => {
    const server = await runningServer();
    const err = await setReverseDns(w.ctx.deps, w.olivia, server.id, server.ipv4[0]!, 'nowhere.example.org').catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      status: 422,
      fields: {
        name: 'The reverse DNS name must first resolve to this address: add an A or AAAA record for it, then try again.',
      },
    });
    await expect(setReverseDns(w.ctx.deps, w.olivia, server.id, server.ipv4[0]!, 'not a host!')).rejects.toMatchObject({
      status: 422,
      fields: { name: expect.any(String) },
    });
  });

  it('an address of another server (even the organization’s own) is not found', async () => {
    const mine = await runningServer();
    const other = await runningServer();
    w.cloud.emu.setResolvableNames({ 'x.example.com': other.ipv4[0]! });
    await expect(setReverseDns(w.ctx.deps, w.olivia, mine.id, other.ipv4[0]!, 'x.example.com')).rejects.toMatchObject({
      status: 404,
    });
    expect(w.cloud.emu.state.ips.get(other.ipv4[0]!)?.rdns).not.toBe('x.example.com');
  });
});
