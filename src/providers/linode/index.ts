import type { z } from 'zod';
import { CloudError, type CloudAddress, type CloudFirewall, type CloudInstance, type CloudProvider } from '../cloud.ts';
import { createLinodeClient, type LinodeClientOptions } from './client.ts';
import {
  addSeries,
  fromRules,
  imageIdIn,
  toBackup,
  toImage,
  toInstance,
  toRegion,
  toRules,
  toScript,
  toType,
} from './mapping.ts';
import {
  accountSchema,
  backupSchema,
  backupsSchema,
  firewallDeviceSchema,
  firewallSchema,
  imageSchema,
  instanceIpsSchema,
  instanceSchema,
  ipSchema,
  lishSchema,
  profileSchema,
  regionSchema,
  stackScriptSchema,
  statsSchema,
  transferSchema,
  typeSchema,
} from './types.ts';

export { createLinodeClient, DEFAULT_BASE_URL, type LinodeClient, type LinodeClientOptions } from './client.ts';
export { imageIdIn, imageIdOut, mapStatus, parseLinodeTime, priceMicros } from './mapping.ts';

/**
 * Linode as a `CloudProvider` (src/providers/cloud.ts). What things mean for customers and
 * money is the domain's business; this file picks the calls, decides which ones may be
 * repeated, and what a create that may or may not have happened turns out to be. The
 * translation of shapes lives in mapping.ts, image ids included: the contract's are bare
 * (`debian12`), Linode's wire ones `linode/debian12` (imageIdOut on what Linode answers, imageIdIn on what we send).
 */

export type LinodeProviderOptions = Omit<LinodeClientOptions, 'baseUrl'> & { baseUrl?: string };

const num = (id: string, what: string): number => {
  if (!/^\d{1,15}$/.test(id))
    throw new CloudError(
      'not_found',
      `Linode ${what} id ${JSON.stringify(id)} is not a Linode id`,
      'That server or resource could not be found.',
      { status: 404 },
    );
  return Number(id);
};
const seg = encodeURIComponent;

/** Failures after which a create may still have happened at Linode: look before reporting. */
const UNCERTAIN = new Set(['timeout', 'network', 'unavailable']);

export function createLinodeProvider(opts: LinodeProviderOptions): CloudProvider {
  const api = createLinodeClient(opts);

  const rethrowUnlessNotFound = (err: unknown): null => {
    if (err instanceof CloudError && err.kind === 'not_found') return null;
    throw err;
  };

  async function instances(tag?: string): Promise<CloudInstance[]> {
    const list = await api.all(instanceSchema, '/linode/instances', { filter: tag ? { tags: tag } : undefined });
    return list.map(toInstance);
  }

  async function findByTag(tag: string): Promise<CloudInstance | null> {
    const found = await instances(tag);
    // X-Filter on tags matches exactly, but an older proxy might ignore the header: check.
    return found.find((i) => i.tags.includes(tag)) ?? null;
  }

  async function firewall(id: number): Promise<CloudFirewall> {
    const fw = await api.call(firewallSchema, 'GET', `/networking/firewalls/${id}`);
    const devices = await api.all(firewallDeviceSchema, `/networking/firewalls/${id}/devices`);
    return {
      id: String(fw.id),
      label: fw.label,
      status: fw.status === 'enabled' ? 'enabled' : 'disabled',
      rules: toRules(fw.rules),
      devices: devices
        .filter((d) => d.entity.type === 'linode')
        .map((d) => ({ deviceId: String(d.id), instanceId: String(d.entity.id) })),
    };
  }

  const action = async (id: string, verb: string, body?: unknown) => {
    await api.request('POST', `/linode/instances/${num(id, 'instance')}/${verb}`, { body });
  };

  return {
    kind: 'linode',

    async validate() {
      try {
        const account = await api.call(accountSchema, 'GET', '/account');
        return { account: account.company ? `${account.company} (${account.email})` : account.email };
      } catch (err) {
        // A token without the account scope can still manage servers; the profile names its user.
        if (!(err instanceof CloudError && err.kind === 'forbidden')) throw err;
        const profile = await api.call(profileSchema, 'GET', '/profile');
        return { account: profile.email ? `${profile.username} (${profile.email})` : profile.username };
      }
    },

    async catalogue() {
      const [types, regions, images, mine, marketplace] = await Promise.all([
        api.all(typeSchema, '/linode/types'),
        api.all(regionSchema, '/regions'),
        api.all(imageSchema, '/images'),
        api.all(stackScriptSchema, '/linode/stackscripts', { filter: { mine: true } }),
        // Marketplace apps are the public StackScripts of the `linode` user (spec §8.1: /linode/apps is not in the API).
        api.all(stackScriptSchema, '/linode/stackscripts', { filter: { username: 'linode', is_public: true } }),
      ]);
      const scripts = new Map<number, z.infer<typeof stackScriptSchema>>();
      for (const s of [...mine, ...marketplace]) scripts.set(s.id, s);
      return {
        types: types.map(toType),
        regions: regions.map(toRegion),
        images: images
          .filter(
            (i) =>
              (i.status ?? 'available') === 'available' &&
              !/recovery|rescue/i.test(`${i.label} ${i.vendor ?? ''}`) &&
              (!i.is_public || i.vendor),
          )
          .map(toImage),
        scripts: [...scripts.values()].map(toScript),
      };
    },

    async create(input) {
      const body = {
        type: input.type,
        region: input.region,
        image: imageIdIn(input.image),
        label: input.label,
        root_pass: input.rootPassword,
        authorized_keys: input.authorizedKeys.length ? input.authorizedKeys : undefined,
        backups_enabled: input.backups,
        private_ip: input.privateIp,
        booted: true,
        tags: [input.tag, ...(input.tags ?? [])],
        ...(input.scriptId
          ? { stackscript_id: num(input.scriptId, 'StackScript'), stackscript_data: input.scriptData ?? {} }
          : {}),
      };
      try {
        return toInstance(await api.call(instanceSchema, 'POST', '/linode/instances', { body }));
      } catch (err) {
        if (!(err instanceof CloudError) || !UNCERTAIN.has(err.kind)) throw err;
        // The create may have happened without us hearing back: the tag says whether it did.
        let found: CloudInstance | null;
        try {
          found = await findByTag(input.tag);
        } catch (lookup) {
          const why = lookup instanceof Error ? lookup.message : String(lookup);
          throw new CloudError(
            err.kind,
            `${err.message}; looking the instance up by tag ${input.tag} failed too: ${why}`,
            err.customerMessage,
            err.opts,
          );
        }
        if (found) return found;
        throw err;
      }
    },

    async get(id) {
      try {
        return toInstance(await api.call(instanceSchema, 'GET', `/linode/instances/${num(id, 'instance')}`));
      } catch (err) {
        return rethrowUnlessNotFound(err);
      }
    },

    list: (o) => instances(o?.tag),

    findByTag,

    boot: (id) => action(id, 'boot'),
    shutdown: (id) => action(id, 'shutdown'),
    reboot: (id) => action(id, 'reboot'),
    rebuild: (id, input) =>
      action(id, 'rebuild', {
        image: imageIdIn(input.image),
        root_pass: input.rootPassword,
        authorized_keys: input.authorizedKeys.length ? input.authorizedKeys : undefined,
        booted: true,
        ...(input.scriptId
          ? { stackscript_id: num(input.scriptId, 'StackScript'), stackscript_data: input.scriptData ?? {} }
          : {}),
      }),
    resize: (id, type) => action(id, 'resize', { type, allow_auto_disk_resize: true, migration_type: 'cold' }),
    async rename(id, label) {
      await api.request('PUT', `/linode/instances/${num(id, 'instance')}`, { body: { label } });
    },
    resetRootPassword: (id, password) => action(id, 'password', { root_pass: password }),
    async delete(id) {
      try {
        await api.request('DELETE', `/linode/instances/${num(id, 'instance')}`);
      } catch (err) {
        // Gone already is what the caller wants: a delete only ever asks for absence.
        rethrowUnlessNotFound(err);
      }
    },

    enableBackups: (id) => action(id, 'backups/enable'),
    cancelBackups: (id) => action(id, 'backups/cancel'),
    async scheduleBackups(id, day, window) {
      await api.request('PUT', `/linode/instances/${num(id, 'instance')}`, {
        body: { backups: { schedule: { day, window } } },
      });
    },
    async snapshot(id, label) {
      return toBackup(
        await api.call(backupSchema, 'POST', `/linode/instances/${num(id, 'instance')}/backups`, { body: { label } }),
      );
    },
    async backups(id) {
      const b = await api.call(backupsSchema, 'GET', `/linode/instances/${num(id, 'instance')}/backups`);
      return {
        automatic: b.automatic.map(toBackup),
        snapshot: {
          current: b.snapshot.current ? toBackup(b.snapshot.current) : null,
          inProgress: b.snapshot.in_progress ? toBackup(b.snapshot.in_progress) : null,
        },
      };
    },
    async restore(id, backupId, targetId, overwrite) {
      const path = `/linode/instances/${num(id, 'instance')}/backups/${num(backupId, 'backup')}/restore`;
      await api.request('POST', path, { body: { linode_id: num(targetId, 'instance'), overwrite } });
    },

    async addresses(id) {
      const ips = await api.call(instanceIpsSchema, 'GET', `/linode/instances/${num(id, 'instance')}/ips`);
      const v4 = [...ips.ipv4.public, ...ips.ipv4.private, ...(ips.ipv4.shared ?? [])];
      const v6 = ips.ipv6?.slaac ? [ips.ipv6.slaac] : [];
      return [...v4, ...v6].map((ip): CloudAddress => ({
        address: ip.address,
        type: ip.type === 'ipv4' ? 'ipv4' : 'ipv6',
        public: ip.public,
        rdns: ip.rdns,
      }));
    },
    async setReverseDns(address, name) {
      const ip = await api.call(ipSchema, 'PUT', `/networking/ips/${seg(address)}`, { body: { rdns: name } });
      return { address: ip.address, type: ip.type === 'ipv4' ? 'ipv4' : 'ipv6', public: ip.public, rdns: ip.rdns };
    },

    async firewalls() {
      const list = await api.all(firewallSchema, '/networking/firewalls');
      return Promise.all(list.filter((f) => f.status !== 'deleted').map((f) => firewall(f.id)));
    },
    async createFirewall(label, rules) {
      const fw = await api.call(firewallSchema, 'POST', '/networking/firewalls', {
        body: { label, rules: fromRules(rules) },
      });
      return firewall(fw.id);
    },
    async updateFirewallRules(firewallId, rules) {
      const id = num(firewallId, 'firewall');
      await api.request('PUT', `/networking/firewalls/${id}/rules`, { body: fromRules(rules) });
      return firewall(id);
    },
    async deleteFirewall(firewallId) {
      await api.request('DELETE', `/networking/firewalls/${num(firewallId, 'firewall')}`).catch(rethrowUnlessNotFound);
    },
    async attachFirewall(firewallId, instanceId) {
      const fw = num(firewallId, 'firewall');
      const linodeId = num(instanceId, 'instance');
      const devices = await api.all(firewallDeviceSchema, `/networking/firewalls/${fw}/devices`);
      if (devices.some((d) => d.entity.type === 'linode' && d.entity.id === linodeId)) return;
      await api.request('POST', `/networking/firewalls/${fw}/devices`, { body: { id: linodeId, type: 'linode' } });
    },
    async detachFirewall(firewallId, instanceId) {
      const fw = num(firewallId, 'firewall');
      const linodeId = num(instanceId, 'instance');
      const devices = await api.all(firewallDeviceSchema, `/networking/firewalls/${fw}/devices`);
      const device = devices.find((d) => d.entity.type === 'linode' && d.entity.id === linodeId);
      if (device)
        await api.request('DELETE', `/networking/firewalls/${fw}/devices/${device.id}`).catch(rethrowUnlessNotFound);
    },

    async transfer(id) {
      const t = await api.call(transferSchema, 'GET', `/linode/instances/${num(id, 'instance')}/transfer`);
      return { usedBytes: BigInt(Math.round(t.used)), quotaGb: t.quota, billableGb: t.billable };
    },
    async stats(id) {
      try {
        const s = await api.call(statsSchema, 'GET', `/linode/instances/${num(id, 'instance')}/stats`);
        return {
          cpuPercent: s.cpu,
          networkIn: addSeries(s.netv4.in, s.netv6.in),
          networkOut: addSeries(s.netv4.out, s.netv6.out),
          diskIo: s.io.io,
        };
      } catch (err) {
        // New instances have no statistics for a while; Linode says so with a 400.
        if (err instanceof CloudError && err.kind === 'validation' && /unavailable|not available/i.test(err.message))
          return null;
        throw err;
      }
    },
    async console(id) {
      const lish = await api.call(lishSchema, 'POST', `/linode/instances/${num(id, 'instance')}/lish`);
      return { url: lish.weblish_url, protocols: lish.ws_protocols };
    },
  };
}
