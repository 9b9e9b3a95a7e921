import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DURATIONS } from '../../src/providers/linode/emulator/index.ts';
import { raw, startWorld, STRONG_PASSWORD, type World } from './helpers.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('Linode emulator: rDNS, backups, firewalls, transfer and stats', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld({
      resolvesDomains: ['vps.example.net'],
      resolvableNames: { 'mail.acme.example': '203.0.113.10' },
    });
  });
  afterEach(async () => {
    await w.emu.close();
  });

  const create = async (body: Record<string, unknown> = {}) => {
    const res = await raw(w, 'POST', '/linode/instances', {
      body: { type: 'g6-nanode-1', region: 'us-east', image: 'linode/debian12', root_pass: STRONG_PASSWORD, ...body },
    });
    expect(res.status).toBe(200);
    return res.json as { id: number; ipv4: string[]; ipv6: string };
  };
  const act = (id: number, action: string, body?: unknown) =>
    raw(w, 'POST', `/linode/instances/${id}/${action}`, { body });
  const rdns = (address: string, name: unknown) =>
    raw(w, 'PUT', `/networking/ips/${encodeURIComponent(address)}`, { body: { rdns: name } });

  describe('reverse DNS', () => {
    it('sets a name whose forward lookup gives the address, even while the server provisions', async () => {
      const { ipv4 } = await create();
      expect(ipv4[0]).toBe('203.0.113.10');
      const res = await rdns('203.0.113.10', 'mail.acme.example');
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        address: '203.0.113.10',
        rdns: 'mail.acme.example',
        type: 'ipv4',
        public: true,
      });
    });

    it('resolves a-b-c-d under a configured domain to a.b.c.d, and nothing else', async () => {
      const { ipv4 } = await create();
      const mine = `${ipv4[0]!.replaceAll('.', '-')}.vps.example.net`;
      expect((await rdns(ipv4[0]!, mine)).json.rdns).toBe(mine);
      const refused = await rdns(ipv4[0]!, '198-51-100-7.vps.example.net');
      expect([refused.status, refused.json]).toEqual([
        400,
        { errors: [{ field: 'rdns', reason: 'Domain does not resolve to this address.' }] },
      ]);
    });

    it('refuses a name that does not resolve, until the controls say it does', async () => {
      const { ipv4 } = await create();
      expect((await rdns(ipv4[0]!, 'www.acme.example')).status).toBe(400);
      w.emu.setResolvableNames({ 'www.acme.example': [ipv4[0]!] });
      expect((await rdns(ipv4[0]!, 'www.acme.example')).status).toBe(200);
    });

    it('restores the default name with null, and sets IPv6 names too', async () => {
      const { ipv4, ipv6 } = await create();
      await rdns(ipv4[0]!, `${ipv4[0]!.replaceAll('.', '-')}.vps.example.net`);
      expect((await rdns(ipv4[0]!, null)).json.rdns).toBe(`${ipv4[0]!.replaceAll('.', '-')}.ip.linodeusercontent.com`);
      const v6 = ipv6.replace('/128', '');
      w.emu.setResolvableNames({ 'v6.acme.example': v6 });
      expect((await rdns(v6, 'v6.acme.example')).json).toMatchObject({
        address: v6,
        type: 'ipv6',
        rdns: 'v6.acme.example',
      });
    });

    it('refuses private addresses, malformed names, a missing rdns key and unknown addresses', async () => {
      const { ipv4 } = await create({ private_ip: true });
      expect((await rdns(ipv4[1]!, 'x.acme.example')).json.errors[0].reason).toBe(
        'Cannot set rDNS on a private address',
      );
      expect((await rdns(ipv4[0]!, 'not a hostname')).json.errors[0]).toEqual({
        field: 'rdns',
        reason: 'Invalid hostname',
      });
      expect((await raw(w, 'PUT', `/networking/ips/${ipv4[0]}`, { body: {} })).json.errors[0]).toEqual({
        field: 'rdns',
        reason: 'rdns is required',
      });
      expect((await rdns('192.0.2.99', 'x.acme.example')).status).toBe(404);
    });

    it('lists every address on the account', async () => {
      await create({ private_ip: true });
      const res = await raw(w, 'GET', '/networking/ips', { filter: { public: true } });
      expect(res.json.results).toBe(2);
    });
  });

  describe('backups', () => {
    it('lists nothing while backups are off and refuses a snapshot', async () => {
      const { id } = await create();
      expect((await raw(w, 'GET', `/linode/instances/${id}/backups`)).json).toEqual({
        automatic: [],
        snapshot: { current: null, in_progress: null },
      });
      expect((await act(id, 'backups', { label: 'x' })).json.errors).toEqual([
        { reason: 'Backups are not enabled for this Linode.' },
      ]);
    });

    it('requires a snapshot label', async () => {
      const { id } = await create({ backups_enabled: true });
      w.emu.settle(id);
      const res = await act(id, 'backups', {});
      expect([res.status, res.json]).toEqual([400, { errors: [{ field: 'label', reason: 'Label is required.' }] }]);
    });

    it('takes one snapshot at a time: in progress, then current, replacing the previous one', async () => {
      const { id } = await create({ backups_enabled: true });
      w.emu.settle(id);
      const first = (await act(id, 'backups', { label: 'first' })).json;
      expect(first).toMatchObject({ type: 'snapshot', status: 'pending', label: 'first', finished: null });
      expect((await act(id, 'backups', { label: 'second' })).json.errors[0].reason).toBe(
        'A snapshot is already in progress.',
      );

      w.emu.advance(DEFAULT_DURATIONS.snapshot);
      let list = (await raw(w, 'GET', `/linode/instances/${id}/backups`)).json;
      expect(list.snapshot.in_progress).toBeNull();
      expect(list.snapshot.current).toMatchObject({
        id: first.id,
        status: 'successful',
        available: true,
        finished: '2026-03-02T09:01:50',
      });

      const second = (await act(id, 'backups', { label: 'second' })).json;
      w.emu.advance(DEFAULT_DURATIONS.snapshot);
      list = (await raw(w, 'GET', `/linode/instances/${id}/backups`)).json;
      expect(list.snapshot.current.id).toBe(second.id);
      expect((await raw(w, 'GET', `/linode/instances/${id}/backups/${first.id}`)).status).toBe(404);
      expect(
        w.emu
          .events()
          .filter((e) => e.action === 'linode_snapshot')
          .map((e) => e.status),
      ).toEqual(['finished', 'finished']);
    });

    it('assigns a schedule after a while and takes automatic backups daily, keeping three', async () => {
      const { id } = await create({ backups_enabled: true });
      expect(w.emu.instance(id)!.backups.schedule).toEqual({ day: 'Scheduling', window: 'Scheduling' });
      w.emu.advance(DEFAULT_DURATIONS.backupScheduling);
      expect(w.emu.instance(id)!.backups.schedule.day).toMatch(/day$/);
      expect(w.emu.instance(id)!.backups.schedule.window).toMatch(/^W\d+$/);

      w.emu.advance(4 * DAY);
      const list = (await raw(w, 'GET', `/linode/instances/${id}/backups`)).json;
      expect(list.automatic).toHaveLength(3);
      expect(
        list.automatic.every((b: { type: string; status: string }) => b.type === 'auto' && b.status === 'successful'),
      ).toBe(true);
      expect(w.emu.instance(id)!.backups).toMatchObject({
        enabled: true,
        available: true,
        last_successful: expect.any(String),
      });
    });

    it('keeps a schedule the customer chose, and refuses days and windows that do not exist', async () => {
      const { id } = await create({ backups_enabled: true });
      const put = (schedule: unknown) => raw(w, 'PUT', `/linode/instances/${id}`, { body: { backups: { schedule } } });
      expect((await put({ day: 'Friday', window: 'W10' })).json.backups.schedule).toEqual({
        day: 'Friday',
        window: 'W10',
      });
      w.emu.advance(DEFAULT_DURATIONS.backupScheduling);
      expect(w.emu.instance(id)!.backups.schedule).toEqual({ day: 'Friday', window: 'W10' });
      expect((await put({ day: 'Funday' })).json.errors).toEqual([
        { field: 'backups.schedule.day', reason: 'Invalid day' },
      ]);
      expect((await put({ window: 'W3' })).json.errors).toEqual([
        { field: 'backups.schedule.window', reason: 'Invalid window' },
      ]);
    });

    it('cancelling deletes every backup, and re-enabling waits 24 hours', async () => {
      const { id } = await create({ backups_enabled: true });
      w.emu.settle(id);
      await act(id, 'backups', { label: 'keep me?' });
      w.emu.settle(id);
      expect((await act(id, 'backups/cancel')).json).toEqual({});
      expect((await raw(w, 'GET', `/linode/instances/${id}/backups`)).json.snapshot.current).toBeNull();
      expect(w.emu.instance(id)!.backups.enabled).toBe(false);

      w.emu.advance(DAY - 1);
      const refused = await act(id, 'backups/enable');
      expect([refused.status, refused.json]).toEqual([
        400,
        { errors: [{ reason: 'Please wait 24 hours before reactivating backups for this Linode.' }] },
      ]);
      w.emu.advance(1);
      expect((await act(id, 'backups/enable')).json).toEqual({});
      expect((await act(id, 'backups/enable')).json).toEqual({});
    });

    it('restores only a finished backup, only within its region, and not onto a busy server', async () => {
      const { id } = await create({ backups_enabled: true });
      const far = await create({ region: 'eu-central' });
      const near = await create();
      w.emu.settle(id);
      const snap = (await act(id, 'backups', { label: 'pre' })).json;
      expect((await act(id, `backups/${snap.id}/restore`, { linode_id: id })).json.errors[0].reason).toBe(
        'This backup is not available to restore.',
      );
      w.emu.settle(id);
      expect((await act(id, `backups/${snap.id}/restore`, { linode_id: far.id })).json.errors[0]).toEqual({
        field: 'linode_id',
        reason: 'Backups can only be restored to a Linode in the same region.',
      });
      expect((await act(id, `backups/${snap.id}/restore`, {})).json.errors[0].field).toBe('linode_id');
      await act(near.id, 'reboot');
      expect((await act(id, `backups/${snap.id}/restore`, { linode_id: near.id })).json.errors[0].reason).toBe(
        'Linode busy.',
      );
      w.emu.settle(near.id);
      expect((await act(id, `backups/${snap.id}/restore`, { linode_id: near.id, overwrite: true })).json).toEqual({});
      expect(w.emu.instance(near.id)!.status).toBe('restoring');
      expect(w.emu.instance(id)!.status).toBe('running');
    });
  });

  describe('firewalls', () => {
    const rules = {
      inbound: [{ action: 'ACCEPT', protocol: 'TCP', ports: '22', addresses: { ipv4: ['0.0.0.0/0'] } }],
      inbound_policy: 'DROP',
      outbound: [],
      outbound_policy: 'ACCEPT',
    };
    const newFirewall = (body: Record<string, unknown> = {}) =>
      raw(w, 'POST', '/networking/firewalls', { body: { label: 'edge-fw', rules, ...body } });

    it('creates a firewall with its rules, fingerprint and version, attached to the servers given', async () => {
      const { id } = await create();
      const res = await newFirewall({ devices: { linodes: [id] } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        label: 'edge-fw',
        status: 'enabled',
        rules: { ...rules, version: 1, fingerprint: expect.stringMatching(/^[0-9a-f]{8}$/) },
      });
      const devices = (await raw(w, 'GET', `/networking/firewalls/${res.json.id}/devices`)).json;
      expect(devices.data).toEqual([
        expect.objectContaining({
          entity: { id, type: 'linode', label: expect.any(String), url: `/v4/linode/instances/${id}` },
        }),
      ]);
      expect(
        (await raw(w, 'GET', `/linode/instances/${id}/firewalls`)).json.data.map((f: { id: number }) => f.id),
      ).toEqual([res.json.id]);
    });

    it('refuses bad rules: ports on ICMP, impossible ports, a missing policy, no addresses', async () => {
      const bad = {
        inbound: [
          { action: 'ACCEPT', protocol: 'ICMP', ports: '22', addresses: { ipv4: ['0.0.0.0/0'] } },
          { action: 'ACCEPT', protocol: 'TCP', ports: '70000', addresses: { ipv4: ['0.0.0.0/0'] } },
          { action: 'ALLOW', protocol: 'TCP', addresses: {} },
        ],
        outbound_policy: 'ACCEPT',
      };
      const res = await newFirewall({ rules: bad });
      expect(res.status).toBe(400);
      expect(res.json.errors.map((e: { field: string }) => e.field)).toEqual([
        'rules.inbound_policy',
        'rules.inbound[0].ports',
        'rules.inbound[1].ports',
        'rules.inbound[2].action',
        'rules.inbound[2].addresses',
      ]);
    });

    it('keeps labels unique and a server on one firewall', async () => {
      const { id } = await create();
      const a = (await newFirewall({ devices: { linodes: [id] } })).json;
      expect((await newFirewall()).json.errors).toEqual([{ field: 'label', reason: 'Label must be unique' }]);
      const b = (await newFirewall({ label: 'other-fw' })).json;
      const res = await raw(w, 'POST', `/networking/firewalls/${b.id}/devices`, { body: { id, type: 'linode' } });
      expect(res.json.errors).toEqual([{ field: 'id', reason: 'Linode already assigned to a Firewall.' }]);
      expect(a.id).not.toBe(b.id);
    });

    it('updates rules with a new version, detaches devices, and loses them when the server is deleted', async () => {
      const { id } = await create();
      const other = await create();
      const fw = (await newFirewall({ devices: { linodes: [id, other.id] } })).json;
      const updated = await raw(w, 'PUT', `/networking/firewalls/${fw.id}/rules`, {
        body: { ...rules, inbound_policy: 'ACCEPT' },
      });
      expect(updated.json).toMatchObject({ inbound_policy: 'ACCEPT', version: 2 });
      expect(updated.json.fingerprint).not.toBe(fw.rules.fingerprint);

      const devices = (await raw(w, 'GET', `/networking/firewalls/${fw.id}/devices`)).json.data;
      expect((await raw(w, 'DELETE', `/networking/firewalls/${fw.id}/devices/${devices[0].id}`)).json).toEqual({});
      expect((await raw(w, 'DELETE', `/networking/firewalls/${fw.id}/devices/${devices[0].id}`)).status).toBe(404);

      await raw(w, 'DELETE', `/linode/instances/${other.id}`);
      w.emu.settle(other.id);
      expect((await raw(w, 'GET', `/networking/firewalls/${fw.id}/devices`)).json.results).toBe(0);
      expect(
        (await raw(w, 'PUT', `/networking/firewalls/${fw.id}`, { body: { status: 'disabled' } })).json.status,
      ).toBe('disabled');
      expect((await raw(w, 'DELETE', `/networking/firewalls/${fw.id}`)).json).toEqual({});
      expect((await raw(w, 'GET', `/networking/firewalls/${fw.id}`)).status).toBe(404);
    });
  });

  describe('transfer and stats', () => {
    it('counts traffic only while running, and starts again with the month', async () => {
      w.clock.set(new Date('2026-03-31T22:00:00Z'));
      const { id } = await create();
      w.emu.advance(50_000); // provisioning and booting: no traffic yet
      expect((await raw(w, 'GET', `/linode/instances/${id}/transfer`)).json).toEqual({
        used: 0,
        quota: 1000,
        billable: 0,
      });
      w.emu.advance(HOUR);
      expect((await raw(w, 'GET', `/linode/instances/${id}/transfer`)).json.used).toBe(3600 * 25_000);

      await act(id, 'shutdown');
      w.emu.settle(id);
      const before = (await raw(w, 'GET', `/linode/instances/${id}/transfer`)).json.used;
      w.emu.advance(10 * 60_000);
      expect((await raw(w, 'GET', `/linode/instances/${id}/transfer`)).json.used).toBe(before);

      w.emu.advance(2 * HOUR); // into April
      expect((await raw(w, 'GET', `/linode/instances/${id}/transfer`)).json.used).toBe(0);
    });

    it('bills the GB over the plan’s quota and adds up the account', async () => {
      const { id } = await create();
      w.emu.growTransfer(id, 1002 * 1024 ** 3);
      expect((await raw(w, 'GET', `/linode/instances/${id}/transfer`)).json).toMatchObject({
        quota: 1000,
        billable: 2,
      });
      expect((await raw(w, 'GET', '/account/transfer')).json).toEqual({
        used: 1002,
        quota: 1000,
        billable: 2,
        region_transfers: [{ id: 'us-east', used: 1002, quota: 1000, billable: 2 }],
      });
    });

    it('has no stats for a few minutes after create, then five-minute points since creation', async () => {
      const { id } = await create();
      w.emu.advance(DEFAULT_DURATIONS.statsDelay - 1);
      const early = await raw(w, 'GET', `/linode/instances/${id}/stats`);
      expect([early.status, early.json]).toEqual([
        400,
        { errors: [{ reason: 'Stats are unavailable at this time.' }] },
      ]);
      w.emu.advance(1);
      const stats = (await raw(w, 'GET', `/linode/instances/${id}/stats`)).json;
      expect(stats.cpu).toHaveLength(2);
      expect(stats.cpu[1][0] - stats.cpu[0][0]).toBe(300_000);
      expect(Object.keys(stats.netv4)).toEqual(['in', 'out', 'private_in', 'private_out']);
      w.emu.advance(2 * DAY);
      expect((await raw(w, 'GET', `/linode/instances/${id}/stats`)).json.cpu).toHaveLength(289);
    });
  });
});
