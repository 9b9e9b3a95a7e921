import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudError, type CloudProvider, type FirewallRules } from '../../src/providers/cloud.ts';
import { mapStatus, parseLinodeTime, priceMicros } from '../../src/providers/linode/index.ts';
import { LINODE_STATUSES } from '../../src/providers/linode/types.ts';
import { ED25519_KEY, newServer, providerFor, startWorld, STRONG_PASSWORD, type World } from './helpers.ts';

describe('Linode provider (the CloudProvider adapter) against the emulator', () => {
  let w: World;
  let linode: CloudProvider;
  beforeEach(async () => {
    w = await startWorld({ resolvesDomains: ['vps.example.net'] });
    linode = providerFor(w);
  });
  afterEach(async () => {
    await w.emu.close();
  });
  const calls = (op: string) => w.emu.requests().filter((r) => r.op === op);

  describe('catalogue', () => {
    it('turns plan prices into exact micro-units, region prices and the backups add-on included', async () => {
      const { types } = await linode.catalogue();
      const nanode = types.find((t) => t.id === 'g6-nanode-1')!;
      const standard = types.find((t) => t.id === 'g6-standard-1')!;

      expect(nanode).toMatchObject({
        class: 'nanode',
        vcpus: 1,
        memoryMb: 1024,
        diskMb: 25600,
        transferGb: 1000,
        monthlyPrice: 5_000_000n,
        hourlyPrice: 7_500n,
        backupsMonthlyPrice: 2_000_000n,
      });
      expect(standard).toMatchObject({
        monthlyPrice: 12_000_000n,
        hourlyPrice: 18_000n,
        backupsMonthlyPrice: 2_500_000n,
      });
      expect(standard.regionPrices).toEqual([{ region: 'br-gru', monthlyPrice: 16_800_000n, hourlyPrice: 25_200n }]);
      expect(new Set(types.map((t) => t.class))).toEqual(new Set(['nanode', 'standard', 'dedicated']));
    });

    it('lists regions with their country, images with their vendor, and Marketplace scripts with their fields', async () => {
      const { regions, images, scripts } = await linode.catalogue();

      expect(regions.find((r) => r.id === 'eu-central')).toEqual({
        id: 'eu-central',
        label: 'Frankfurt, DE',
        country: 'de',
        available: true,
        capabilities: expect.arrayContaining(['Linodes', 'Backups']),
      });
      expect(images.map((i) => i.id)).toContain('debian12');
      expect(images.find((i) => i.id === 'ubuntu24.04')).toEqual({
        id: 'ubuntu24.04',
        label: 'Ubuntu 24.04 LTS',
        vendor: 'Ubuntu',
        deprecated: false,
        sizeMb: 3000,
      });
      const wordpress = scripts.find((s) => s.label === 'WordPress One-Click')!;
      expect(wordpress.id).toBe('401697');
      expect(wordpress.fields.find((f) => f.name === 'webserver')).toEqual({
        name: 'webserver',
        label: 'Web server',
        example: null,
        default: 'NGINX',
        oneOf: 'Apache,NGINX',
        manyOf: null,
      });
      expect(scripts.find((s) => s.label === 'Docker One-Click')!.fields.find((f) => f.name === 'extras')!.manyOf).toBe(
        'compose,buildx,portainer',
      );
      // Marketplace scripts are found by filter, as SkyPanelV2 did once /linode/apps answered 404.
      expect(calls('list_stackscripts').map((r) => r.filter)).toEqual(
        expect.arrayContaining([{ mine: true }, { username: 'linode', is_public: true }]),
      );
    });

    it('parses a price from its decimal text, never through float arithmetic', () => {
      expect(priceMicros(0.0075)).toBe(7_500n);
      expect(priceMicros(0.018)).toBe(18_000n);
      expect(priceMicros(100.8)).toBe(100_800_000n);
      expect(priceMicros(0.1 + 0.2)).toBe(300_000n); // 0.30000000000000004: rounded at the micro-unit
      expect(priceMicros(1e-7)).toBe(0n);
      expect(priceMicros(5e-7)).toBe(1n);
      expect(priceMicros(1.5e-6)).toBe(2n);
      expect(() => priceMicros(1e21)).toThrow(RangeError);
      expect(priceMicros(null)).toBe(0n);
    });
  });

  describe('instances', () => {
    it('creates a server with its tag, private address and keys, and answers in neutral words', async () => {
      const input = newServer({ privateIp: true, authorizedKeys: [ED25519_KEY], backups: true });
      const server = await linode.create(input);

      expect(server).toMatchObject({
        status: 'provisioning',
        providerStatus: 'provisioning',
        region: 'us-east',
        type: 'g6-standard-1',
        image: 'ubuntu24.04',
        vcpus: 1,
        memoryMb: 2048,
      });
      expect(server.id).toMatch(/^\d+$/);
      expect(server.tags).toEqual([input.tag, 'skypanel']);
      expect(server.ipv4).toHaveLength(2);
      expect(server.ipv4[0]).toMatch(/^(203\.0\.113|198\.51\.100)\./);
      expect(server.ipv4[1]).toMatch(/^192\.168\./);
      expect(server.ipv6).toMatch(/^2001:db8:/);
      expect(server.backups).toEqual({ enabled: true, day: 'Scheduling', window: 'Scheduling', lastSuccessful: null });
      expect(server.created).toEqual(new Date('2026-03-02T09:00:00Z'));
      expect(calls('create_instance')[0]!.body).toMatchObject({
        image: 'linode/ubuntu24.04',
        tags: [input.tag, 'skypanel'],
        authorized_keys: [ED25519_KEY],
        private_ip: true,
        backups_enabled: true,
        booted: true,
      });
    });

    it('creates a server from a Marketplace script with its fields, and explains a missing one', async () => {
      const fields = { soa_email_address: 'ada@acme.example', wp_admin_user: 'ada', webserver: 'Apache' };
      const server = await linode.create(newServer({ scriptId: '401697', scriptData: fields }));
      expect(server.status).toBe('provisioning');
      expect(calls('create_instance')[0]!.body).toMatchObject({ stackscript_id: 401697, stackscript_data: fields });

      const err = (await linode
        .create(newServer({ scriptId: '401697', scriptData: { webserver: 'Apache' } }))
        .catch((e: unknown) => e)) as CloudError;
      expect([err.kind, err.field]).toEqual(['validation', 'stackscript_data']);
      expect(err.customerMessage).toBe(
        "Check the app's settings: a required field is missing or has a value that is not allowed.",
      );
    });

    it('follows a server from provisioning to running as the clock moves', async () => {
      const { id } = await linode.create(newServer());
      w.emu.advance(30_000);
      expect((await linode.get(id))!.status).toBe('booting');
      w.emu.advance(20_000);
      expect((await linode.get(id))!.status).toBe('running');
    });

    it('finds a create that timed out but happened, by its tag, without creating again', async () => {
      w.emu.inject({ type: 'succeeds_late', ms: 1_000 }, { op: 'create_instance' });
      const input = newServer();

      const server = await providerFor(w, { timeoutMs: 200 }).create(input);

      expect(server.tags).toContain(input.tag);
      expect(w.emu.instances()).toHaveLength(1);
      expect(calls('create_instance')).toHaveLength(1);
      expect(calls('list_instances')[0]!.filter).toEqual({ tags: input.tag });
    });

    it('reports a create that timed out before anything happened, after looking', async () => {
      w.emu.inject({ type: 'delay', ms: 1_000 }, { op: 'create_instance' });

      const err = await providerFor(w, { timeoutMs: 200 })
        .create(newServer())
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(CloudError);
      expect((err as CloudError).kind).toBe('timeout');
      expect(calls('list_instances')).toHaveLength(1);
      expect(w.emu.instances()).toEqual([]);
    });

    it('reports a create the provider refused with a server error once the tag finds nothing', async () => {
      w.emu.inject({ type: 'server_error' }, { op: 'create_instance' });

      const err = (await linode.create(newServer()).catch((e: unknown) => e)) as CloudError;

      expect(err.kind).toBe('unavailable');
      expect(calls('create_instance')).toHaveLength(1);
      expect(calls('list_instances')).toHaveLength(1);
    });

    it('does not look for a create that was refused as invalid', async () => {
      const err = (await linode.create(newServer({ image: 'windows95' })).catch((e: unknown) => e)) as CloudError;

      expect(err.kind).toBe('validation');
      expect(err.field).toBe('image');
      expect(err.customerMessage).toBe('That operating system image is not available for this server.');
      expect(calls('list_instances')).toHaveLength(0);
    });

    it('says which lookup failed when the tag lookup fails too', async () => {
      w.emu.inject({ type: 'server_error' }, { op: 'create_instance' });
      w.emu.inject({ type: 'maintenance' }, { op: 'list_instances' });

      const err = (await linode.create(newServer()).catch((e: unknown) => e)) as CloudError;

      expect(err.kind).toBe('unavailable');
      expect(err.message).toMatch(
        /looking the instance up by tag .* failed too: Linode GET \/linode\/instances failed: 503/,
      );
    });

    it('lists every server, or only those carrying a tag', async () => {
      const a = await linode.create(newServer({ tags: ['org-a'] }));
      await linode.create(newServer({ tags: ['org-b'] }));

      expect(await linode.list()).toHaveLength(2);
      expect((await linode.list({ tag: 'org-a' })).map((s) => s.id)).toEqual([a.id]);
      expect(await linode.findByTag('no-such-tag')).toBeNull();
    });

    it('answers null for a server that does not exist', async () => {
      expect(await linode.get('99999999')).toBeNull();
      expect(await linode.get('not-a-number')).toBeNull();
    });

    it('maps every Linode status to ours and keeps the provider word', async () => {
      const { id } = await linode.create(newServer());
      const expected: Record<string, string> = {
        running: 'running',
        offline: 'offline',
        booting: 'booting',
        busy: 'booting',
        rebooting: 'rebooting',
        shutting_down: 'shutting_down',
        provisioning: 'provisioning',
        deleting: 'deleting',
        migrating: 'resizing',
        rebuilding: 'rebuilding',
        cloning: 'unknown',
        restoring: 'restoring',
        stopped: 'unknown',
        billing_suspension: 'unknown',
      };
      expect(Object.keys(expected).sort()).toEqual([...LINODE_STATUSES].sort());
      for (const status of LINODE_STATUSES) {
        w.emu.setStatus(id, status);
        const server = (await linode.get(id))!;
        expect([server.status, server.providerStatus]).toEqual([expected[status], status]);
      }
      expect(mapStatus('resizing')).toBe('resizing');
      expect(mapStatus('a_status_from_the_future')).toBe('unknown');
      expect(mapStatus('constructor')).toBe('unknown');
    });

    it('reads timestamps without a zone as UTC', () => {
      expect(parseLinodeTime('2024-05-14T06:53:59').toISOString()).toBe('2024-05-14T06:53:59.000Z');
      expect(parseLinodeTime('2024-05-14T06:53:59+02:00').toISOString()).toBe('2024-05-14T04:53:59.000Z');
    });

    it('powers a server off and on, reboots, renames, rebuilds and resizes it', async () => {
      const { id } = await linode.create(newServer());
      w.emu.settle(id);

      await linode.shutdown(id);
      w.emu.settle(id);
      expect((await linode.get(id))!.status).toBe('offline');
      await linode.resetRootPassword(id, 'An0ther-Strong-Passw0rd');
      await linode.boot(id);
      w.emu.settle(id);
      await linode.reboot(id);
      expect((await linode.get(id))!.status).toBe('rebooting');
      w.emu.settle(id);
      await linode.rename(id, 'renamed-web');
      await linode.rebuild(id, { image: 'debian12', rootPassword: STRONG_PASSWORD, authorizedKeys: [] });
      expect(calls('rebuild')[0]!.body).toMatchObject({ image: 'linode/debian12' });
      expect((await linode.get(id))!).toMatchObject({
        status: 'rebuilding',
        image: 'debian12',
        label: 'renamed-web',
      });
      w.emu.settle(id);
      await linode.resize(id, 'g6-standard-2');
      expect((await linode.get(id))!.status).toBe('shutting_down');
      w.emu.settle(id);
      expect((await linode.get(id))!).toMatchObject({
        status: 'running',
        type: 'g6-standard-2',
        vcpus: 2,
        memoryMb: 4096,
      });
      expect(calls('resize')[0]!.body).toEqual({
        type: 'g6-standard-2',
        allow_auto_disk_resize: true,
        migration_type: 'cold',
      });
    });

    it('refuses a root password reset while the server runs, in our words', async () => {
      const { id } = await linode.create(newServer());
      w.emu.settle(id);

      const err = (await linode
        .resetRootPassword(id, 'An0ther-Strong-Passw0rd')
        .catch((e: unknown) => e)) as CloudError;

      expect(err.kind).toBe('validation');
      expect(err.customerMessage).toBe('Power the server off before resetting its root password.');
    });

    it('deletes a server, and deleting one that is already gone is not an error', async () => {
      const { id } = await linode.create(newServer());
      await linode.delete(id);
      expect((await linode.get(id))!.status).toBe('deleting');
      w.emu.settle(id);
      expect(await linode.get(id)).toBeNull();
      await expect(linode.delete(id)).resolves.toBeUndefined();
    });
  });

  describe('backups', () => {
    it('enables, schedules, snapshots, lists and restores backups', async () => {
      const { id } = await linode.create(newServer());
      w.emu.settle(id);
      await linode.enableBackups(id);
      await linode.scheduleBackups(id, 'Tuesday', 'W4');
      expect((await linode.get(id))!.backups).toMatchObject({ enabled: true, day: 'Tuesday', window: 'W4' });

      const snap = await linode.snapshot(id, 'before upgrade');
      expect(snap).toMatchObject({ kind: 'snapshot', label: 'before upgrade', status: 'pending', finished: null });
      expect((await linode.backups(id)).snapshot.inProgress!.id).toBe(snap.id);
      w.emu.settle(id);
      w.emu.takeAutomaticBackup(id);
      const backups = await linode.backups(id);
      expect(backups.snapshot).toMatchObject({
        inProgress: null,
        current: { id: snap.id, status: 'successful', available: true },
      });
      expect(backups.automatic).toHaveLength(1);
      expect(backups.automatic[0]!.kind).toBe('automatic');

      await linode.restore(id, snap.id, id, true);
      expect((await linode.get(id))!.status).toBe('restoring');
      expect(calls('restore')[0]!.body).toEqual({ linode_id: Number(id), overwrite: true });
    });

    it('refuses to turn backups back on within a day of cancelling them', async () => {
      const { id } = await linode.create(newServer({ backups: true }));
      await linode.cancelBackups(id);

      const err = (await linode.enableBackups(id).catch((e: unknown) => e)) as CloudError;

      expect(err.kind).toBe('validation');
      expect(err.customerMessage).toBe(
        'Backups were cancelled recently; they can be enabled again 24 hours after cancelling.',
      );
      w.emu.advance(24 * 3600_000);
      await expect(linode.enableBackups(id)).resolves.toBeUndefined();
    });
  });

  describe('networking', () => {
    it('lists addresses and sets reverse DNS when the name resolves to the address', async () => {
      const { id } = await linode.create(newServer({ privateIp: true }));
      const [v4, priv, v6] = await linode.addresses(id);
      expect(v4).toMatchObject({
        type: 'ipv4',
        public: true,
        rdns: `${v4!.address.replaceAll('.', '-')}.ip.linodeusercontent.com`,
      });
      expect(priv).toMatchObject({ type: 'ipv4', public: false, rdns: null });
      expect(v6).toMatchObject({ type: 'ipv6', public: true });

      const name = `${v4!.address.replaceAll('.', '-')}.vps.example.net`;
      expect(await linode.setReverseDns(v4!.address, name)).toEqual({
        address: v4!.address,
        type: 'ipv4',
        public: true,
        rdns: name,
      });
      expect((await linode.setReverseDns(v4!.address, null)).rdns).toBe(
        `${v4!.address.replaceAll('.', '-')}.ip.linodeusercontent.com`,
      );
    });

    it('explains a name that does not resolve without repeating the provider', async () => {
      const { id } = await linode.create(newServer());
      const [v4] = await linode.addresses(id);

      const err = (await linode
        .setReverseDns(v4!.address, 'mail.elsewhere.example')
        .catch((e: unknown) => e)) as CloudError;

      expect([err.kind, err.field]).toEqual(['validation', 'rdns']);
      expect(err.customerMessage).toBe(
        'The reverse DNS name must first resolve to this address: add an A or AAAA record for it, then try again.',
      );
    });

    it('creates a firewall, attaches it, changes its rules, detaches and deletes it', async () => {
      const { id } = await linode.create(newServer());
      const rules: FirewallRules = {
        inbound: [
          {
            action: 'ACCEPT',
            protocol: 'TCP',
            ports: '22,80,443',
            ipv4: ['0.0.0.0/0'],
            ipv6: ['::/0'],
            label: 'web-and-ssh',
          },
        ],
        inboundPolicy: 'DROP',
        outbound: [],
        outboundPolicy: 'ACCEPT',
      };
      const fw = await linode.createFirewall('web-servers', rules);
      expect(fw).toEqual({ id: fw.id, label: 'web-servers', status: 'enabled', rules, devices: [] });

      await linode.attachFirewall(fw.id, id);
      await linode.attachFirewall(fw.id, id); // already attached: nothing to do
      expect((await linode.firewalls())[0]!.devices).toEqual([
        { deviceId: expect.stringMatching(/^\d+$/), instanceId: id },
      ]);

      const icmp = {
        action: 'ACCEPT' as const,
        protocol: 'ICMP' as const,
        ports: null,
        ipv4: ['0.0.0.0/0'],
        ipv6: [],
        label: null,
      };
      const updated = await linode.updateFirewallRules(fw.id, { ...rules, inbound: [...rules.inbound, icmp] });
      expect(updated.rules.inbound).toEqual([...rules.inbound, icmp]);

      await linode.detachFirewall(fw.id, id);
      await linode.detachFirewall(fw.id, id);
      expect((await linode.firewalls())[0]!.devices).toEqual([]);
      await linode.deleteFirewall(fw.id);
      expect(await linode.firewalls()).toEqual([]);
    });

    it('refuses a second firewall on the same server with our own words', async () => {
      const { id } = await linode.create(newServer());
      const rules: FirewallRules = { inbound: [], inboundPolicy: 'DROP', outbound: [], outboundPolicy: 'ACCEPT' };
      const a = await linode.createFirewall('first-fw', rules);
      const b = await linode.createFirewall('second-fw', rules);
      await linode.attachFirewall(a.id, id);

      const err = (await linode.attachFirewall(b.id, id).catch((e: unknown) => e)) as CloudError;

      expect(err.customerMessage).toBe('That server already has a firewall attached.');
    });
  });

  describe('usage, console and credentials', () => {
    it('reads transfer in bytes as the counter grows while running', async () => {
      const { id } = await linode.create(newServer());
      w.emu.settle(id);
      w.emu.advance(3600_000);
      w.emu.growTransfer(id, 5_000_000_000);

      const t = await linode.transfer(id);

      expect(t.usedBytes).toBe(BigInt(3600 * 25_000 + 5_000_000_000));
      expect(t.quotaGb).toBe(2000);
      expect(t.billableGb).toBe(0);
    });

    it('has no statistics for a new server, then a day of them', async () => {
      const { id } = await linode.create(newServer());
      expect(await linode.stats(id)).toBeNull();

      w.emu.advance(60 * 60_000);
      const stats = (await linode.stats(id))!;

      expect(stats.cpuPercent.length).toBe(13);
      expect(stats.networkIn).toHaveLength(13);
      expect(stats.networkIn[0]![1]).toBeGreaterThan(0);
      expect(stats.diskIo).toHaveLength(13);
    });

    it('opens an out-of-band console session and keeps its URL out of the records', async () => {
      const { id } = await linode.create(newServer());
      const session = await linode.console(id);

      expect(session.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/lish\/weblish\?token=/);
      expect(session.protocols).toHaveLength(1);
      expect(JSON.stringify(w.emu.requests())).not.toContain(new URL(session.url).searchParams.get('token'));
    });

    it('validates its credentials by naming the account', async () => {
      expect(await linode.validate()).toEqual({ account: 'Demo Hosting Ltd (ops@demo-hosting.example)' });
    });

    it('names the user when the token may not read the account', async () => {
      w.emu.inject({ type: 'forbidden' }, { op: 'account' });
      expect(await linode.validate()).toEqual({ account: 'demo-operator (ops@demo-hosting.example)' });
    });

    it('reports a refused token on validation', async () => {
      const err = (await providerFor(w, { token: 'wrong' })
        .validate()
        .catch((e: unknown) => e)) as CloudError;
      expect(err.kind).toBe('unauthorized');
    });
  });
});
