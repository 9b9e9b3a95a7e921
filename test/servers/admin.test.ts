import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import {
  adminGetServer,
  adminListServers,
  adminRunAction,
  adminServerActions,
} from '../../src/domain/servers/admin.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { getServer } from '../../src/domain/servers/query.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { setBalance, settle, smallServer, staffActor, useServersWorld } from './helpers.ts';

const w = useServersWorld();
let staff: Actor;

beforeAll(async () => {
  const ada = await createPerson(w.ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('ada') });
  staff = staffActor(ada);
});

describe('all servers, for staff', () => {
  it('lists every organization’s servers with filters and a total, and shows one with its provider facts', async () => {
    await setBalance(w, w.acme, 10_000_000n);
    await setBalance(w, w.globex, 10_000_000n);
    const a = (await createServer(w.ctx.deps, w.olivia, smallServer(w, { label: 'acme-web' }))).server;
    const g = (await createServer(w.ctx.deps, w.oscar, smallServer(w, { label: 'globex-db', region: 'eu-central' })))
      .server;
    await settle(w, a.id);

    const all = await adminListServers(w.ctx.deps, staff, {}, 1);
    expect(all.items.map((s) => s.id)).toEqual(expect.arrayContaining([a.id, g.id]));
    expect(all).toMatchObject({ total: all.items.length, page: 1, pages: 1 });
    const acme = await adminListServers(w.ctx.deps, staff, { organizationId: w.acme }, 1);
    expect(acme.items.map((s) => s.id)).toEqual([a.id]);
    expect(acme.items[0]).toMatchObject({ organizationName: expect.any(String), providerName: 'Test cloud' });
    expect((await adminListServers(w.ctx.deps, staff, { region: 'eu-central' }, 1)).items.map((s) => s.id)).toEqual([
      g.id,
    ]);
    expect((await adminListServers(w.ctx.deps, staff, { status: 'running' }, 1)).items.map((s) => s.id)).toEqual([
      a.id,
    ]);
    expect((await adminListServers(w.ctx.deps, staff, { q: 'globex' }, 1)).items.map((s) => s.id)).toEqual([g.id]);
    await expect(adminListServers(w.ctx.deps, staff, { organizationId: 'nope' }, 1)).rejects.toMatchObject({
      status: 422,
    });

    const one = await adminGetServer(w.ctx.deps, staff, a.id);
    expect(one).toMatchObject({ id: a.id, providerInstanceId: expect.stringMatching(/^\d+$/), status: 'running' });
    await expect(adminGetServer(w.ctx.deps, staff, 'nope')).rejects.toMatchObject({ status: 404 });
  });

  it('power actions on any organization’s server, logged in that organization as staff’s, with the provider’s words for staff', async () => {
    await setBalance(w, w.acme, 10_000_000n);
    const server = (await createServer(w.ctx.deps, w.olivia, smallServer(w))).server;
    await settle(w, server.id);
    await adminRunAction(w.ctx.deps, staff, server.id, { type: 'shutdown' });
    expect(await settle(w, server.id)).toBe('offline');
    w.cloud.emu.inject({ type: 'server_error' }, { op: 'boot' });
    await expect(adminRunAction(w.ctx.deps, staff, server.id, { type: 'boot' })).rejects.toMatchObject({ status: 503 });
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('offline');

    const actions = await adminServerActions(w.ctx.deps, staff, server.id);
    expect(actions[0]).toMatchObject({
      type: 'boot',
      status: 'failed',
      providerError: expect.stringMatching(/Linode/),
    });
    expect(actions[0]!.error).not.toMatch(/linode/i);
    expect(actions[1]).toMatchObject({ type: 'shutdown', status: 'completed', providerError: null });
    const entry = await w.ctx.db
      .selectFrom('activity_log')
      .selectAll()
      .where('target_id', '=', server.id)
      .where('action', '=', 'server.shut_down')
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor_user_id: staff.userId, organization_id: w.acme });
    expect(entry.details).toMatchObject({ by_staff: true, outcome: 'accepted' });
    await expect(adminServerActions(w.ctx.deps, w.olivia, server.id)).rejects.toMatchObject({ status: 403 });
  });
});
