import { z } from 'zod';
import { parseMoney } from '../../lib/money.ts';
import {
  CloudError,
  type CloudAddress,
  type CloudBackup,
  type CloudFirewall,
  type CloudImage,
  type CloudInstance,
  type CloudProvider,
  type CloudRegion,
  type CloudScript,
  type CloudType,
  type FirewallRule,
  type FirewallRules,
  type ProviderStatus,
} from '../cloud.ts';
import { createLinodeClient, type LinodeClientOptions } from './client.ts';
import {
  accountSchema,
  backupSchema,
  backupsSchema,
  firewallDeviceSchema,
  firewallRulesSchema,
  firewallSchema,
  imageSchema,
  instanceIpsSchema,
  instanceSchema,
  lishSchema,
  profileSchema,
  regionSchema,
  stackScriptSchema,
  statsSchema,
  transferSchema,
  typeSchema,
  type LinodeFirewallRule,
} from './types.ts';

export { createLinodeClient, DEFAULT_BASE_URL, type LinodeClient, type LinodeClientOptions } from './client.ts';

/**
 * Linode as a `CloudProvider`: Linode's shapes turned into the neutral contract of
 * src/providers/cloud.ts. What things mean for customers and money is the domain's business;
 * this file only translates (statuses, ids as strings, prices as exact micro-units, zone-less
 * timestamps read as UTC) and decides which calls may be repeated.
 */

export type LinodeProviderOptions = Omit<LinodeClientOptions, 'baseUrl'> & { baseUrl?: string };

type Instance = z.infer<typeof instanceSchema>;
type Backup = z.infer<typeof backupSchema>;

/** Linode's status words → ours. Anything not listed (stopped, billing_suspension, cloning, new words) is `unknown`. */
const STATUS: Record<string, ProviderStatus> = {
  provisioning: 'provisioning',
  booting: 'booting',
  busy: 'booting', // booting while joining a placement group
  running: 'running',
  shutting_down: 'shutting_down',
  offline: 'offline',
  rebooting: 'rebooting',
  rebuilding: 'rebuilding',
  migrating: 'resizing',
  resizing: 'resizing',
  restoring: 'restoring',
  deleting: 'deleting',
};

/** The status in the contract's words; `unknown` for words we do not know (kept in `providerStatus`). */
export function mapStatus(status: string): ProviderStatus {
  return Object.hasOwn(STATUS, status) ? STATUS[status]! : 'unknown';
}

/** Linode timestamps carry no zone and are UTC ("2024-05-14T06:53:59"). */
export function parseLinodeTime(s: string): Date {
  return new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(s) ? s : `${s}Z`);
}

/**
 * A JSON price in micro-units, exactly. JSON.parse hands us a double; `String(double)` is the
 * shortest decimal that reads back as that double, i.e. the text Linode sent for any price of
 * up to 15 significant digits. That text is parsed as a decimal (never multiplied as a float);
 * digits past the micro-unit are rounded half up.
 */
export function priceMicros(n: number | null | undefined): bigint {
  if (n === null || n === undefined) return 0n;
  if (!Number.isFinite(n)) throw new RangeError(`not a price: ${n}`);
  const text = expandExponent(String(n));
  const [whole, frac = ''] = text.replace('-', '').split('.');
  const micros = parseMoney(`${whole}.${(frac.slice(0, 6) || '0')}`);
  if (micros === null) throw new RangeError(`not a price: ${n}`);
  const roundUp = frac.length > 6 && frac[6]! >= '5' ? 1n : 0n;
  return text.startsWith('-') ? -(micros + roundUp) : micros + roundUp;
}

function expandExponent(s: string): string {
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, rest = '', expText] = m;
  const digits = lead! + rest;
  const point = 1 + Number(expText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  return `${sign}${digits.padEnd(point, '0').slice(0, point)}${digits.length > point ? '.' + digits.slice(point) : ''}`;
}

const num = (id: string, what: string): number => {
  if (!/^\d{1,15}$/.test(id)) throw new CloudError('not_found', `Linode ${what} id ${JSON.stringify(id)} is not a Linode id`, 'That server or resource could not be found.', { status: 404 });
  return Number(id);
};
const seg = encodeURIComponent;

function toInstance(i: Instance): CloudInstance {
  return {
    id: String(i.id),
    label: i.label,
    status: mapStatus(i.status),
    providerStatus: i.status,
    region: i.region,
    type: i.type,
    image: i.image,
    ipv4: i.ipv4,
    // Linode writes the SLAAC address with its /128; the contract holds addresses.
    ipv6: i.ipv6 ? i.ipv6.replace(/\/\d+$/, '') : null,
    vcpus: i.specs.vcpus,
    memoryMb: i.specs.memory,
    diskMb: i.specs.disk,
    transferGb: i.specs.transfer,
    backups: {
      enabled: i.backups.enabled,
      day: i.backups.schedule?.day ?? null,
      window: i.backups.schedule?.window ?? null,
      lastSuccessful: i.backups.last_successful ? parseLinodeTime(i.backups.last_successful) : null,
    },
    tags: i.tags,
    created: parseLinodeTime(i.created),
    updated: parseLinodeTime(i.updated),
  };
}

function toBackup(b: Backup): CloudBackup {
  return {
    id: String(b.id),
    label: b.label,
    kind: b.type === 'snapshot' ? 'snapshot' : 'automatic',
    status: b.status,
    available: b.available,
    created: parseLinodeTime(b.created),
    finished: b.finished ? parseLinodeTime(b.finished) : null,
  };
}

function toType(t: z.infer<typeof typeSchema>): CloudType {
  return {
    id: t.id,
    label: t.label,
    class: t.class ?? t.type_class ?? 'standard',
    vcpus: t.vcpus,
    memoryMb: t.memory,
    diskMb: t.disk,
    transferGb: t.transfer,
    networkOutMbps: t.network_out,
    monthlyPrice: priceMicros(t.price.monthly),
    hourlyPrice: priceMicros(t.price.hourly),
    backupsMonthlyPrice: priceMicros(t.addons?.backups?.price.monthly),
    regionPrices: (t.region_prices ?? []).map((p) => ({ region: p.id, monthlyPrice: priceMicros(p.monthly), hourlyPrice: priceMicros(p.hourly) })),
    successor: t.successor ?? null,
  };
}

const toRegion = (r: z.infer<typeof regionSchema>): CloudRegion => ({
  id: r.id,
  label: r.label,
  country: r.country.toLowerCase(),
  available: r.status === 'ok',
  capabilities: r.capabilities,
});

const toImage = (i: z.infer<typeof imageSchema>): CloudImage => ({ id: i.id, label: i.label, vendor: i.vendor, deprecated: i.deprecated, sizeMb: i.size });

const toScript = (s: z.infer<typeof stackScriptSchema>): CloudScript => ({
  id: String(s.id),
  label: s.label,
  description: s.description ?? '',
  images: s.images,
  fields: s.user_defined_fields.map((f) => ({
    name: f.name,
    label: f.label,
    example: f.example ?? null,
    default: f.default ?? null,
    oneOf: f.oneOf ?? null,
    manyOf: f.manyOf ?? null,
  })),
});

function toRule(r: NonNullable<z.infer<typeof firewallRulesSchema>['inbound']>[number]): FirewallRule {
  return { action: r.action, protocol: r.protocol, ports: r.ports ?? null, ipv4: r.addresses?.ipv4 ?? [], ipv6: r.addresses?.ipv6 ?? [], label: r.label ?? null };
}
function toRules(r: z.infer<typeof firewallRulesSchema>): FirewallRules {
  return { inbound: (r.inbound ?? []).map(toRule), inboundPolicy: r.inbound_policy, outbound: (r.outbound ?? []).map(toRule), outboundPolicy: r.outbound_policy };
}
function fromRule(r: FirewallRule): LinodeFirewallRule {
  return {
    action: r.action,
    protocol: r.protocol,
    ...(r.ports ? { ports: r.ports } : {}),
    addresses: { ipv4: r.ipv4, ipv6: r.ipv6 },
    ...(r.label ? { label: r.label } : {}),
  };
}
const fromRules = (r: FirewallRules) => ({
  inbound: r.inbound.map(fromRule),
  inbound_policy: r.inboundPolicy,
  outbound: r.outbound.map(fromRule),
  outbound_policy: r.outboundPolicy,
});

/** Point-wise sum of series sampled at the same instants (IPv4 + IPv6 traffic). */
function addSeries(a: Array<[number, number]>, b: Array<[number, number]>): Array<[number, number]> {
  const byTime = new Map<number, number>(a.map(([t, v]) => [t, v]));
  for (const [t, v] of b) byTime.set(t, (byTime.get(t) ?? 0) + v);
  return [...byTime.entries()].sort(([x], [y]) => x - y);
}

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
      devices: devices.filter((d) => d.entity.type === 'linode').map((d) => ({ deviceId: String(d.id), instanceId: String(d.entity.id) })),
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
          .filter((i) => (i.status ?? 'available') === 'available' && !/recovery|rescue/i.test(`${i.label} ${i.vendor ?? ''}`) && (!i.is_public || i.vendor))
          .map(toImage),
        scripts: [...scripts.values()].map(toScript),
      };
    },

    async create(input) {
      const body = {
        type: input.type,
        region: input.region,
        image: input.image,
        label: input.label,
        root_pass: input.rootPassword,
        authorized_keys: input.authorizedKeys.length ? input.authorizedKeys : undefined,
        backups_enabled: input.backups,
        private_ip: input.privateIp,
        booted: true,
        tags: [input.tag, ...(input.tags ?? [])],
        ...(input.scriptId ? { stackscript_id: num(input.scriptId, 'StackScript'), stackscript_data: input.scriptData ?? {} } : {}),
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
          throw new CloudError(err.kind, `${err.message}; looking the instance up by tag ${input.tag} failed too: ${why}`, err.customerMessage, err.opts);
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
        image: input.image,
        root_pass: input.rootPassword,
        authorized_keys: input.authorizedKeys.length ? input.authorizedKeys : undefined,
        booted: true,
        ...(input.scriptId ? { stackscript_id: num(input.scriptId, 'StackScript'), stackscript_data: input.scriptData ?? {} } : {}),
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
      await api.request('PUT', `/linode/instances/${num(id, 'instance')}`, { body: { backups: { schedule: { day, window } } } });
    },
    async snapshot(id, label) {
      return toBackup(await api.call(backupSchema, 'POST', `/linode/instances/${num(id, 'instance')}/backups`, { body: { label } }));
    },
    async backups(id) {
      const b = await api.call(backupsSchema, 'GET', `/linode/instances/${num(id, 'instance')}/backups`);
      return {
        automatic: b.automatic.map(toBackup),
        snapshot: { current: b.snapshot.current ? toBackup(b.snapshot.current) : null, inProgress: b.snapshot.in_progress ? toBackup(b.snapshot.in_progress) : null },
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
      return [...v4, ...v6].map((ip): CloudAddress => ({ address: ip.address, type: ip.type === 'ipv4' ? 'ipv4' : 'ipv6', public: ip.public, rdns: ip.rdns }));
    },
    async setReverseDns(address, name) {
      const ip = await api.call(z.looseObject({ address: z.string(), type: z.string(), public: z.boolean(), rdns: z.string().nullable() }), 'PUT', `/networking/ips/${seg(address)}`, {
        body: { rdns: name },
      });
      return { address: ip.address, type: ip.type === 'ipv4' ? 'ipv4' : 'ipv6', public: ip.public, rdns: ip.rdns };
    },

    async firewalls() {
      const list = await api.all(firewallSchema, '/networking/firewalls');
      return Promise.all(list.filter((f) => f.status !== 'deleted').map((f) => firewall(f.id)));
    },
    async createFirewall(label, rules) {
      const fw = await api.call(firewallSchema, 'POST', '/networking/firewalls', { body: { label, rules: fromRules(rules) } });
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
      if (device) await api.request('DELETE', `/networking/firewalls/${fw}/devices/${device.id}`).catch(rethrowUnlessNotFound);
    },

    async transfer(id) {
      const t = await api.call(transferSchema, 'GET', `/linode/instances/${num(id, 'instance')}/transfer`);
      return { usedBytes: BigInt(Math.round(t.used)), quotaGb: t.quota, billableGb: t.billable };
    },
    async stats(id) {
      try {
        const s = await api.call(statsSchema, 'GET', `/linode/instances/${num(id, 'instance')}/stats`);
        return { cpuPercent: s.cpu, networkIn: addSeries(s.netv4.in, s.netv6.in), networkOut: addSeries(s.netv4.out, s.netv6.out), diskIo: s.io.io };
      } catch (err) {
        // New instances have no statistics for a while; Linode says so with a 400.
        if (err instanceof CloudError && err.kind === 'validation' && /unavailable|not available/i.test(err.message)) return null;
        throw err;
      }
    },
    async console(id) {
      const lish = await api.call(lishSchema, 'POST', `/linode/instances/${num(id, 'instance')}/lish`);
      return { url: lish.weblish_url, protocols: lish.ws_protocols };
    },
  };
}
