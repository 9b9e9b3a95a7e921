import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { runAction } from '../../src/domain/servers/actions.ts';
import { listAddresses, setReverseDns } from '../../src/domain/servers/addresses.ts';
import {
  adminGetServer,
  adminListServers,
  adminRunAction,
  listDrift,
  resolveDrift,
} from '../../src/domain/servers/admin.ts';
import {
  cancelBackups,
  enableBackups,
  listBackups,
  restoreBackup,
  scheduleBackups,
  takeSnapshot,
} from '../../src/domain/servers/backups.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { deleteServer } from '../../src/domain/servers/delete.ts';
import { serverPage } from '../../src/domain/servers/page.ts';
import {
  getServer,
  listServers,
  serverActions,
  serverCosts,
  serverStats,
  serverTransfer,
} from '../../src/domain/servers/query.ts';
import { actorFor, setBalance, settle, smallServer, useServersWorld } from './helpers.ts';

const w = useServersWorld();

/** Every customer-facing server function, called on one server id. */
function everyFunction(actor: Actor, id: string): Array<[string, () => Promise<unknown>]> {
  const d = w.ctx.deps;
  return [
    ['getServer', () => getServer(d, actor, id)],
    ['serverCosts', () => serverCosts(d, actor, id)],
    ['serverPage', () => serverPage(d, actor, id)],
    ['serverTransfer', () => serverTransfer(d, actor, id)],
    ['serverStats', () => serverStats(d, actor, id)],
    ['serverActions', () => serverActions(d, actor, id)],
    ['boot', () => runAction(d, actor, id, { type: 'boot' })],
    ['shutdown', () => runAction(d, actor, id, { type: 'shutdown' })],
    ['reboot', () => runAction(d, actor, id, { type: 'reboot' })],
    ['rebuild', () => runAction(d, actor, id, { type: 'rebuild', image: w.catalogue.images[1]! })],
    ['resize', () => runAction(d, actor, id, { type: 'resize', planId: w.catalogue.plans.medium.id })],
    ['reset_password', () => runAction(d, actor, id, { type: 'reset_password' })],
    ['rename', () => runAction(d, actor, id, { type: 'rename', label: 'stolen' })],
    ['listBackups', () => listBackups(d, actor, id)],
    ['enableBackups', () => enableBackups(d, actor, id)],
    ['cancelBackups', () => cancelBackups(d, actor, id)],
    ['scheduleBackups', () => scheduleBackups(d, actor, id, { day: 'Monday', window: 'W0' })],
    ['takeSnapshot', () => takeSnapshot(d, actor, id, { label: 'x' })],
    ['restoreBackup', () => restoreBackup(d, actor, id, { backupId: '1' })],
    ['listAddresses', () => listAddresses(d, actor, id)],
    ['setReverseDns', () => setReverseDns(d, actor, id, '203.0.113.10', 'x.example.com')],
    ['deleteServer', () => deleteServer(d, actor, id)],
  ];
}

describe('another organization’s server', () => {
  it('is not found by any server function, and nothing changes', async () => {
    await setBalance(w, w.globex, 10_000_000n);
    const { server } = await createServer(w.ctx.deps, w.oscar, smallServer(w, { backups: true }));
    await settle(w, server.id);
    const before = w.cloud.emu.requests().length;
    for (const [name, call] of everyFunction(w.olivia, server.id)) {
      await expect(call(), name).rejects.toMatchObject({ status: 404, message: 'No such server.' });
    }
    expect(w.cloud.emu.requests().length, 'the provider was not asked').toBe(before);
    expect((await getServer(w.ctx.deps, w.oscar, server.id)).status).toBe('running');
    const acme = await listServers(w.ctx.deps, w.olivia, {}, { limit: 100 });
    expect(acme.items.map((s) => s.id)).not.toContain(server.id);
  });

  it('unknown and malformed ids are not found either', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' or '1'='1", '']) {
      for (const [name, call] of everyFunction(w.olivia, id)) {
        await expect(call(), `${name}(${id})`).rejects.toMatchObject({ status: 404 });
      }
    }
  });

  it('a member whose role lacks the permission gets 403 on its own organization’s server', async () => {
    await setBalance(w, w.acme, 10_000_000n);
    const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w));
    const agent = actorFor({ id: w.olivia.userId }, w.acme, 'support_agent');
    for (const [name, call] of everyFunction(agent, server.id)) {
      await expect(call(), name).rejects.toMatchObject({ status: 403 });
    }
    await expect(listServers(w.ctx.deps, agent, {}, { limit: 10 })).rejects.toMatchObject({ status: 403 });
    const viewer = actorFor({ id: w.olivia.userId }, w.acme, 'viewer');
    await expect(getServer(w.ctx.deps, viewer, server.id)).resolves.toMatchObject({ id: server.id });
    await expect(runAction(w.ctx.deps, viewer, server.id, { type: 'reboot' })).rejects.toMatchObject({ status: 403 });
  });

  it('staff functions are for platform staff only', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    await expect(adminListServers(w.ctx.deps, w.olivia, {}, 1)).rejects.toMatchObject({ status: 403 });
    await expect(adminGetServer(w.ctx.deps, w.olivia, id)).rejects.toMatchObject({ status: 403 });
    await expect(adminRunAction(w.ctx.deps, w.olivia, id, { type: 'reboot' })).rejects.toMatchObject({ status: 403 });
    await expect(listDrift(w.ctx.deps, w.olivia)).rejects.toMatchObject({ status: 403 });
    await expect(resolveDrift(w.ctx.deps, w.olivia, id)).rejects.toMatchObject({ status: 403 });
  });
});

describe('listing servers', () => {
  it('lists the organization’s servers newest first in keyset pages, searchable by label or address and filtered', async () => {
    await setBalance(w, w.acme, 10_000_000n);
    const made = [];
    for (const label of ['alpha-1', 'alpha-2', 'beta-1']) {
      made.push((await createServer(w.ctx.deps, w.olivia, smallServer(w, { label, region: 'eu-central' }))).server);
    }
    const first = await listServers(w.ctx.deps, w.olivia, { region: 'eu-central' }, { limit: 2 });
    expect(first.items.map((s) => s.label)).toEqual(['beta-1', 'alpha-2']);
    const second = await listServers(
      w.ctx.deps,
      w.olivia,
      { region: 'eu-central' },
      { limit: 2, cursor: first.nextCursor },
    );
    expect(second.items.map((s) => s.label)).toEqual(['alpha-1']);
    expect(second.nextCursor).toBeNull();
    const alphas = await listServers(w.ctx.deps, w.olivia, { q: 'ALPHA' }, { limit: 10 });
    expect(alphas.items.map((s) => s.label).sort()).toEqual(['alpha-1', 'alpha-2']);
    const byIp = await listServers(w.ctx.deps, w.olivia, { q: made[2]!.ipv4[0]! }, { limit: 10 });
    expect(byIp.items.map((s) => s.label)).toEqual(['beta-1']);
    const literal = await listServers(w.ctx.deps, w.olivia, { q: '%' }, { limit: 10 });
    expect(literal.items).toHaveLength(0);
    await settle(w, made[0]!.id);
    const running = await listServers(w.ctx.deps, w.olivia, { status: 'running', region: 'eu-central' }, { limit: 10 });
    expect(running.items.map((s) => s.label)).toEqual(['alpha-1']);
    await expect(listServers(w.ctx.deps, w.olivia, { status: 'exploded' }, { limit: 10 })).rejects.toMatchObject({
      status: 422,
      fields: { status: expect.any(String) },
    });
    await expect(listServers(w.ctx.deps, w.olivia, {}, { limit: 10, cursor: 'bogus' })).rejects.toMatchObject({
      status: 422,
    });
  });
});
