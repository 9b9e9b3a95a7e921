import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DURATIONS } from '../../src/providers/linode/emulator/index.ts';
import { raw, startWorld, STRONG_PASSWORD, type World } from './helpers.ts';

const SECOND = 1000;

describe('Linode emulator: the instance state machine on a stepped clock', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(async () => {
    await w.emu.close();
  });

  const create = async (body: Record<string, unknown> = {}) => {
    const res = await raw(w, 'POST', '/linode/instances', {
      body: { type: 'g6-nanode-1', region: 'us-east', image: 'linode/debian12', root_pass: STRONG_PASSWORD, ...body },
    });
    expect(res.status).toBe(200);
    return res.json as { id: number; status: string; updated: string };
  };
  const status = async (id: number) => (await raw(w, 'GET', `/linode/instances/${id}`)).json.status as string;
  const act = (id: number, action: string, body?: unknown) =>
    raw(w, 'POST', `/linode/instances/${id}/${action}`, { body });
  const running = async () => {
    const i = await create();
    w.emu.settle(i.id);
    return i.id;
  };
  const offline = async () => {
    const i = await create({ booted: false });
    w.emu.settle(i.id);
    return i.id;
  };
  const eventsOf = (id: number) =>
    w.emu
      .events()
      .filter((e) => e.entity?.id === id)
      .map((e) => `${e.action}:${e.status}`);

  it('creates with 200 and the instance, then provisions, boots and runs, with events moving from scheduled to finished', async () => {
    const created = await create();
    expect(created.status).toBe('provisioning');
    expect(eventsOf(created.id)).toEqual(['linode_create:started', 'linode_boot:scheduled']);

    w.emu.advance(DEFAULT_DURATIONS.provisioning - 1);
    expect(await status(created.id)).toBe('provisioning');
    w.emu.advance(1);
    expect(await status(created.id)).toBe('booting');
    expect(eventsOf(created.id)).toEqual(['linode_create:finished', 'linode_boot:started']);

    w.emu.advance(DEFAULT_DURATIONS.booting);
    const after = (await raw(w, 'GET', `/linode/instances/${created.id}`)).json;
    expect(after.status).toBe('running');
    expect(after.updated).toBe('2026-03-02T09:00:50');
    expect(eventsOf(created.id)).toEqual(['linode_create:finished', 'linode_boot:finished']);
    expect(w.emu.events().find((e) => e.action === 'linode_boot')).toMatchObject({
      duration: 20,
      percent_complete: 100,
    });
  });

  it('leaves a server created without an image, or with booted false, powered off', async () => {
    const bare = await create({ image: undefined, root_pass: undefined });
    const unbooted = await create({ booted: false });
    w.emu.advance(DEFAULT_DURATIONS.provisioning);
    expect(await status(bare.id)).toBe('offline');
    expect(await status(unbooted.id)).toBe('offline');
    expect(eventsOf(bare.id)).toEqual(['linode_create:finished']);
  });

  it('plays the durations it was given', async () => {
    await w.emu.close();
    w = await startWorld({ durations: { provisioning: 2 * SECOND, booting: SECOND } });
    const { id } = await create();
    w.emu.advance(3 * SECOND);
    expect(await status(id)).toBe('running');
  });

  it('in demo mode a new server is running within three seconds', async () => {
    await w.emu.close();
    w = await startWorld({ demo: true });
    const { id } = await create();
    w.emu.advance(3 * SECOND);
    expect(await status(id)).toBe('running');
  });

  it('refuses every power, rebuild, resize and password action with "Linode busy." while a server is provisioning', async () => {
    const { id } = await create();
    const attempts = [
      act(id, 'boot'),
      act(id, 'shutdown'),
      act(id, 'reboot'),
      act(id, 'rebuild', { image: 'linode/debian12', root_pass: STRONG_PASSWORD }),
      act(id, 'resize', { type: 'g6-standard-2' }),
      act(id, 'password', { root_pass: STRONG_PASSWORD }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ errors: [{ reason: 'Linode busy.' }] });
    }
  });

  it('shuts a running server down through shutting_down, and a second shutdown changes nothing', async () => {
    const id = await running();
    const res = await act(id, 'shutdown');
    expect([res.status, res.json]).toEqual([200, {}]);
    expect(await status(id)).toBe('shutting_down');
    expect((await act(id, 'boot')).status).toBe(400);
    w.emu.advance(DEFAULT_DURATIONS.shutdown);
    expect(await status(id)).toBe('offline');
    expect((await act(id, 'shutdown')).json).toEqual({});
    expect(await status(id)).toBe('offline');
    expect(eventsOf(id).at(-1)).toBe('linode_shutdown:finished');
  });

  it('boots an offline server through booting, and booting a running one changes nothing', async () => {
    const id = await offline();
    await act(id, 'boot');
    expect(await status(id)).toBe('booting');
    w.emu.advance(DEFAULT_DURATIONS.booting);
    expect(await status(id)).toBe('running');
    expect((await act(id, 'boot')).json).toEqual({});
    expect(await status(id)).toBe('running');
  });

  it('reboots a running server through rebooting, and boots an offline one on reboot', async () => {
    const id = await running();
    await act(id, 'reboot');
    expect(await status(id)).toBe('rebooting');
    w.emu.advance(DEFAULT_DURATIONS.reboot);
    expect(await status(id)).toBe('running');

    const off = await offline();
    await act(off, 'reboot');
    expect(await status(off)).toBe('booting');
    w.emu.advance(DEFAULT_DURATIONS.booting);
    expect(await status(off)).toBe('running');
    expect(eventsOf(off).at(-1)).toBe('linode_reboot:finished');
  });

  it('rebuilds through rebuilding and booting with the new image, or leaves it off when asked', async () => {
    const id = await running();
    const res = await act(id, 'rebuild', { image: 'linode/rocky9', root_pass: STRONG_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id, status: 'rebuilding', image: 'linode/rocky9' });
    w.emu.advance(DEFAULT_DURATIONS.rebuild);
    expect(await status(id)).toBe('booting');
    w.emu.advance(DEFAULT_DURATIONS.booting);
    expect(await status(id)).toBe('running');

    await act(id, 'rebuild', { image: 'linode/debian12', root_pass: STRONG_PASSWORD, booted: false });
    w.emu.advance(DEFAULT_DURATIONS.rebuild);
    expect(await status(id)).toBe('offline');
  });

  it('refuses a rebuild without a strong password, without an image, or onto the plan it already has', async () => {
    const id = await running();
    expect((await act(id, 'rebuild', { image: 'linode/debian12', root_pass: 'short' })).json.errors).toEqual([
      { field: 'root_pass', reason: 'Length must be 7-128 characters' },
    ]);
    expect((await act(id, 'rebuild', { root_pass: STRONG_PASSWORD })).json.errors).toEqual([
      { field: 'image', reason: 'image is required' },
    ]);
    expect(
      (await act(id, 'rebuild', { image: 'linode/debian12', root_pass: STRONG_PASSWORD, type: 'g6-nanode-1' })).json
        .errors,
    ).toEqual([{ field: 'type', reason: 'Linode is already running this service plan.' }]);
    expect(await status(id)).toBe('running');
  });

  it('resizes a running server through shutting_down, migrating and booting, changing plan at the end of the migration', async () => {
    const id = await running();
    expect((await act(id, 'resize', { type: 'g6-standard-2' })).json).toEqual({});
    expect(await status(id)).toBe('shutting_down');
    w.emu.advance(DEFAULT_DURATIONS.shutdown);
    expect(await status(id)).toBe('migrating');
    w.emu.advance(DEFAULT_DURATIONS.resize - 1);
    expect(w.emu.instance(id)!.type).toBe('g6-nanode-1');
    w.emu.advance(1);
    expect(w.emu.instance(id)).toMatchObject({
      status: 'booting',
      type: 'g6-standard-2',
      specs: { vcpus: 2, memory: 4096 },
    });
    w.emu.advance(DEFAULT_DURATIONS.booting);
    expect(await status(id)).toBe('running');
    expect(eventsOf(id).at(-1)).toBe('linode_resize:finished');
  });

  it('resizes an offline server through migrating and leaves it offline; the same plan is refused', async () => {
    const id = await offline();
    expect((await act(id, 'resize', { type: 'g6-nanode-1' })).json.errors).toEqual([
      { field: 'type', reason: 'Linode is already running this service plan.' },
    ]);
    expect((await act(id, 'resize', { type: 'g9-imaginary' })).json.errors[0].field).toBe('type');
    await act(id, 'resize', { type: 'g6-dedicated-2' });
    expect(await status(id)).toBe('migrating');
    w.emu.advance(DEFAULT_DURATIONS.resize);
    expect(w.emu.instance(id)).toMatchObject({ status: 'offline', type: 'g6-dedicated-2' });
  });

  it('resets the root password only while the server is offline', async () => {
    const id = await running();
    const refused = await act(id, 'password', { root_pass: STRONG_PASSWORD });
    expect([refused.status, refused.json.errors]).toEqual([
      400,
      [{ reason: 'Linode must be shut down to reset the root password.' }],
    ]);

    await act(id, 'shutdown');
    w.emu.settle(id);
    expect((await act(id, 'password', { root_pass: 'weakpass' })).json.errors).toEqual([
      { field: 'root_pass', reason: 'Password does not meet strength requirement.' },
    ]);
    expect((await act(id, 'password', { root_pass: STRONG_PASSWORD })).json).toEqual({});
    expect(eventsOf(id).at(-1)).toBe('password_reset:finished');
  });

  it('deletes through deleting, after which the server is 404 everywhere', async () => {
    const id = await running();
    expect((await raw(w, 'DELETE', `/linode/instances/${id}`)).json).toEqual({});
    expect(await status(id)).toBe('deleting');
    expect((await act(id, 'boot')).json.errors[0].reason).toBe('Linode busy.');
    w.emu.advance(DEFAULT_DURATIONS.delete);
    const gone = await raw(w, 'GET', `/linode/instances/${id}`);
    expect([gone.status, gone.json]).toEqual([404, { errors: [{ reason: 'Not found' }] }]);
    expect((await raw(w, 'GET', `/linode/instances/${id}/ips`)).status).toBe(404);
    expect(eventsOf(id).at(-1)).toBe('linode_delete:finished');
  });

  it('refuses to delete a server while a backup is being restored onto it', async () => {
    const id = await running();
    await act(id, 'backups/enable');
    const snap = (await act(id, 'backups', { label: 'nightly' })).json;
    w.emu.settle(id);
    await act(id, `backups/${snap.id}/restore`, { linode_id: id });
    expect(await status(id)).toBe('restoring');
    expect((await raw(w, 'DELETE', `/linode/instances/${id}`)).json).toEqual({ errors: [{ reason: 'Linode busy.' }] });
    w.emu.advance(DEFAULT_DURATIONS.restore);
    expect(await status(id)).toBe('offline');
  });

  it('can make a create fail: the server ends offline and its event failed', async () => {
    w.emu.inject({ type: 'provisioning_fails' }, { op: 'create_instance' });
    const { id } = await create();
    w.emu.advance(DEFAULT_DURATIONS.provisioning);
    expect(await status(id)).toBe('offline');
    expect(eventsOf(id)).toEqual(['linode_create:failed']);
  });

  it('refuses power actions in statuses outside the machine, such as host maintenance', async () => {
    const id = await offline();
    w.emu.setStatus(id, 'stopped');
    expect((await act(id, 'boot')).json.errors[0].reason).toBe('Linode busy.');
  });

  it('filters an instance’s events as SkyPanel asks for them, newest first', async () => {
    const id = await running();
    await running(); // another server, whose events must not show
    await act(id, 'reboot');
    const res = await raw(w, 'GET', '/account/events', {
      filter: { '+order': 'desc', '+order_by': 'created', 'entity.type': 'linode', 'entity.id': id },
    });
    expect(res.json.data.map((e: { action: string }) => e.action)).toEqual([
      'linode_reboot',
      'linode_create',
      'linode_boot',
    ]);
    expect(res.json.data.every((e: { entity: { id: number } }) => e.entity.id === id)).toBe(true);
    expect(res.json.results).toBe(3);
  });
});
