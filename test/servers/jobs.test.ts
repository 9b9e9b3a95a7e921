import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { followServerJob, syncServersJob } from '../../jobs/sync-servers.ts';
import { reconcileServersJob } from '../../jobs/reconcile-servers.ts';
import { runAction } from '../../src/domain/servers/actions.ts';
import { adminDeleteServer, listDrift, resolveDrift } from '../../src/domain/servers/admin.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { MAX_FOLLOW_ATTEMPTS } from '../../src/domain/servers/instance.ts';
import { reconcileServers } from '../../src/domain/servers/reconcile.ts';
import { getServer } from '../../src/domain/servers/query.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { instanceOf, queuedFollowUps, setBalance, smallServer, staffActor, useServersWorld } from './helpers.ts';

const w = useServersWorld();

async function newServer() {
  await setBalance(w, w.acme, 10_000_000n);
  return (await createServer(w.ctx.deps, w.olivia, smallServer(w))).server;
}

const status = async (id: string) => (await getServer(w.ctx.deps, w.olivia, id)).status;

describe('the follow-up job', () => {
  it('follows a new server to running, re-queuing itself while it is still on its way', async () => {
    const server = await newServer();
    expect(await queuedFollowUps(w, server.id)).toBe(1);
    // The job runs before the provider is done: still provisioning, so it looks again later.
    expect(await followServerJob(w.ctx.deps, { serverId: server.id, attempt: 0 })).toBe('provisioning');
    expect(await queuedFollowUps(w, server.id)).toBe(2);
    w.cloud.emu.advance(30_000);
    expect(await followServerJob(w.ctx.deps, { serverId: server.id, attempt: 1 })).toBe('booting');
    w.cloud.emu.settle();
    expect(await followServerJob(w.ctx.deps, { serverId: server.id, attempt: 2 })).toBe('running');
    expect(await queuedFollowUps(w, server.id)).toBe(3);
    expect(await status(server.id)).toBe('running');
  });

  it('stops re-queuing after its last attempt (the minute sync carries on), and ignores unknown servers', async () => {
    const server = await newServer();
    const queued = await queuedFollowUps(w, server.id);
    await followServerJob(w.ctx.deps, { serverId: server.id, attempt: MAX_FOLLOW_ATTEMPTS - 1 });
    expect(await queuedFollowUps(w, server.id)).toBe(queued);
    expect(await followServerJob(w.ctx.deps, { serverId: randomUUID(), attempt: 0 })).toBeNull();
    w.cloud.emu.settle();
    const runs = await syncServersJob(w.ctx.deps, null);
    expect(runs.checked).toBeGreaterThanOrEqual(1);
    expect(await status(server.id)).toBe('running');
    const run = await w.ctx.db
      .selectFrom('job_runs')
      .selectAll()
      .where('queue', '=', 'servers.sync')
      .orderBy('started_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(run.status).toBe('succeeded');
  });

  it('the sync reads only servers in motion, and an unknown word from the provider keeps the status', async () => {
    const server = await newServer();
    w.cloud.emu.settle();
    await syncServersJob(w.ctx.deps, null);
    expect(await status(server.id)).toBe('running');
    await runAction(w.ctx.deps, w.olivia, server.id, { type: 'shutdown' });
    w.cloud.emu.setStatus((await instanceOf(w, server.id))!.id, 'billing_suspension');
    await syncServersJob(w.ctx.deps, null);
    expect(await status(server.id)).toBe('shutting_down');
    const row = await w.ctx.db.selectFrom('servers').selectAll().where('id', '=', server.id).executeTakeFirstOrThrow();
    expect(row.provider_status).toBe('billing_suspension');
  });
});

describe('reconciliation (drift)', () => {
  it('reports our tagged instances we do not know, and our servers the provider no longer has, once; resolves them when gone', async () => {
    const ada = await createPerson(w.ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('ada') });
    const staff = staffActor(ada);
    const ours = await newServer();
    w.cloud.emu.settle();
    await followServerJob(w.ctx.deps, { serverId: ours.id, attempt: 0 });

    // An instance carrying our marker that no server row knows (e.g. made by hand), and one that is not ours.
    const stray = await w.cloud.provider.create({
      label: 'stray-one',
      region: 'us-east',
      type: 'g6-standard-1',
      image: 'debian12',
      rootPassword: 'Stray-Password-1234',
      authorizedKeys: [],
      backups: false,
      privateIp: false,
      tag: `sp-${randomUUID().replace(/-/g, '')}`,
      tags: ['skypanel'],
    });
    const foreign = await w.cloud.provider.create({
      label: 'resellers-own',
      region: 'us-east',
      type: 'g6-standard-1',
      image: 'debian12',
      rootPassword: 'Own-Password-1234',
      authorizedKeys: [],
      backups: false,
      privateIp: false,
      tag: 'office-vpn',
    });
    // Our server vanishes at the provider.
    w.cloud.emu.removeInstance((await instanceOf(w, ours.id))!.id);

    const summary = await reconcileServersJob(w.ctx.deps, null);
    expect(summary).toMatchObject({ unknown: 1, missing: 1, errors: [] });
    let open = await listDrift(w.ctx.deps, staff, { open: true });
    expect(open.map((f) => [f.kind, f.providerInstanceId]).sort()).toEqual(
      [
        [
          'missing_at_provider',
          (
            await w.ctx.db
              .selectFrom('servers')
              .select('provider_instance_id')
              .where('id', '=', ours.id)
              .executeTakeFirstOrThrow()
          ).provider_instance_id,
        ],
        ['unknown_at_provider', stray.id],
      ].sort(),
    );
    expect(open.find((f) => f.kind === 'missing_at_provider')).toMatchObject({
      serverId: ours.id,
      organizationId: w.acme,
    });
    // Reporting never deletes or changes our server.
    expect(await status(ours.id)).toBe('running');

    // A second run adds nothing; with scope "all" the reseller's own machine is reported too.
    expect(await reconcileServersJob(w.ctx.deps, null)).toMatchObject({ unknown: 0, missing: 0 });
    expect(await reconcileServers(w.ctx.deps, { scope: 'all' })).toMatchObject({ unknown: 1 });
    open = await listDrift(w.ctx.deps, staff, { open: true });
    expect(open).toHaveLength(3);
    await resolveDrift(w.ctx.deps, staff, open.find((f) => f.providerInstanceId === foreign.id)!.id);

    // Staff delete the stray instance at the provider and our missing server here: the next run resolves both.
    w.cloud.emu.removeInstance(stray.id);
    await adminDeleteServer(w.ctx.deps, staff, ours.id, { reason: 'Gone at the provider' });
    expect(await status(ours.id)).toBe('deleted');
    expect(await reconcileServersJob(w.ctx.deps, null)).toMatchObject({ resolved: 2 });
    expect(await listDrift(w.ctx.deps, staff, { open: true })).toEqual([]);
    const all = await listDrift(w.ctx.deps, staff);
    expect(all.every((f) => f.resolvedAt !== null)).toBe(true);
    const log = await w.ctx.db
      .selectFrom('activity_log')
      .select('action')
      .where('action', '=', 'admin.server_drift_resolved')
      .execute();
    expect(log).toHaveLength(1);
  });

  it('records every listed instance’s status on its server (an hourly sweep of settled servers too)', async () => {
    const server = await newServer();
    w.cloud.emu.settle();
    await followServerJob(w.ctx.deps, { serverId: server.id, attempt: 0 });
    w.cloud.emu.setStatus((await instanceOf(w, server.id))!.id, 'offline');
    await reconcileServers(w.ctx.deps);
    expect(await status(server.id)).toBe('offline');
  });
});
