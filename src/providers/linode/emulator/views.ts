import type {
  LinodeBackup,
  LinodeEvent,
  LinodeFirewall,
  LinodeFirewallDevice,
  LinodeInstance,
  LinodeIp,
  LinodeType,
} from '../types.ts';
import { REGIONS, TYPES } from './catalogue.ts';
import {
  linodeTime,
  type EmulatedBackup,
  type EmulatedEvent,
  type EmulatedFirewall,
  type EmulatedInstance,
  type LinodeEmulatorState,
} from './state.ts';

/** Emulated records rendered in Linode's wire shapes (spec §6). */

export const typeOf = (id: string): LinodeType | undefined => TYPES.find((t) => t.id === id);

export function instanceJson(inst: EmulatedInstance): LinodeInstance {
  const t = typeOf(inst.type)!;
  const lastSuccessful = [...inst.backups.automatic, ...(inst.backups.current ? [inst.backups.current] : [])]
    .map((b) => b.finished ?? 0)
    .reduce((a, b) => Math.max(a, b), 0);
  return {
    id: inst.id,
    label: inst.label,
    group: inst.group,
    status: inst.status,
    created: linodeTime(inst.created),
    updated: linodeTime(inst.updated),
    type: inst.type,
    region: inst.region,
    image: inst.image,
    ipv4: [inst.publicIpv4, ...(inst.privateIpv4 ? [inst.privateIpv4] : [])],
    ipv6: `${inst.ipv6}/128`,
    specs: { disk: t.disk, memory: t.memory, vcpus: t.vcpus, gpus: t.gpus, transfer: t.transfer },
    alerts: { cpu: 90 * t.vcpus, network_in: 10, network_out: 10, transfer_quota: 80, io: 10000 },
    backups: {
      enabled: inst.backups.enabled,
      available: inst.backups.enabled && lastSuccessful > 0,
      last_successful: lastSuccessful ? linodeTime(lastSuccessful) : null,
      schedule: { day: inst.backups.day, window: inst.backups.window },
    },
    hypervisor: 'kvm',
    watchdog_enabled: inst.watchdog,
    tags: inst.tags,
    host_uuid: (inst.id * 2654435761).toString(16).padStart(40, '0').slice(-40),
    has_user_data: false,
    capabilities: [],
    lke_cluster_id: null,
    placement_group: null,
  };
}

/** Linode's default reverse name for a public IPv4 address. */
export const defaultRdns = (address: string) => `${address.replaceAll('.', '-')}.ip.linodeusercontent.com`;

export function ipJson(state: LinodeEmulatorState, address: string): LinodeIp | null {
  const rec = state.ips.get(address);
  const inst = rec ? state.instances.get(rec.linodeId) : undefined;
  if (!rec || !inst) return null;
  const base = { address, linode_id: inst.id, region: inst.region };
  if (address === inst.publicIpv4) {
    const gateway = address.replace(/\.\d+$/, '.1');
    return {
      ...base,
      gateway,
      subnet_mask: '255.255.255.0',
      prefix: 24,
      type: 'ipv4',
      public: true,
      rdns: rec.rdns ?? defaultRdns(address),
    };
  }
  if (address === inst.privateIpv4)
    return {
      ...base,
      gateway: null,
      subnet_mask: '255.255.128.0',
      prefix: 17,
      type: 'ipv4',
      public: false,
      rdns: null,
    };
  return {
    ...base,
    gateway: 'fe80::1',
    subnet_mask: 'ffff:ffff:ffff:ffff::',
    prefix: 64,
    type: 'ipv6',
    public: true,
    rdns: rec.rdns,
  };
}

export function linkLocal(inst: EmulatedInstance): LinodeIp {
  const tail = inst.ipv6.split('::')[1];
  return {
    address: `fe80::${tail}`,
    gateway: 'fe80::1',
    subnet_mask: 'ffff:ffff:ffff:ffff::',
    prefix: 64,
    type: 'ipv6',
    public: false,
    rdns: null,
    linode_id: inst.id,
    region: inst.region,
  };
}

/** Public IPv4 from the documentation ranges (RFC 5737), 480 addresses; private from 192.168.128.0/17. */
export function allocateAddresses(state: LinodeEmulatorState, id: number, region: string, privateIp: boolean) {
  const n = state.seq.ipv4++;
  const ranges = ['203.0.113', '198.51.100'];
  const range = ranges[Math.floor(n / 240)];
  if (!range) return null;
  const publicIpv4 = `${range}.${10 + (n % 240)}`;
  let privateIpv4: string | null = null;
  if (privateIp) {
    const k = state.seq.private++;
    privateIpv4 = `192.168.${128 + Math.floor(k / 250)}.${2 + (k % 250)}`;
  }
  // SLAAC in the documentation prefix 2001:db8::/32, one /64 per region.
  const regionIndex =
    Math.max(
      0,
      REGIONS.findIndex((r) => r.id === region),
    ) + 1;
  const hex = id.toString(16).padStart(6, '0').slice(-6);
  const ipv6 = `2001:db8:${regionIndex}::f03c:95ff:fe${hex.slice(0, 2)}:${hex.slice(2)}`;
  return { publicIpv4, privateIpv4, ipv6 };
}

export function backupJson(b: EmulatedBackup): LinodeBackup {
  return {
    id: b.id,
    label: b.label,
    type: b.type,
    status: b.status,
    available: b.status === 'successful',
    created: linodeTime(b.created),
    updated: linodeTime(b.updated),
    finished: b.finished === null ? null : linodeTime(b.finished),
    configs: ['My Ubuntu Disk Profile'],
    disks: [
      { label: 'Ubuntu Disk', size: 24_576, filesystem: 'ext4' },
      { label: '512 MB Swap Image', size: 512, filesystem: 'swap' },
    ],
  };
}

export function eventJson(e: EmulatedEvent): LinodeEvent {
  const done = e.status === 'finished' || e.status === 'failed' || e.status === 'notification';
  return {
    id: e.id,
    action: e.action,
    created: linodeTime(e.created),
    duration: done && e.started !== null && e.finished !== null ? Math.round((e.finished - e.started) / 1000) : null,
    entity: e.entity,
    secondary_entity: null,
    message: e.message,
    // Guess: progress is not modelled beyond "not started / under way / done".
    percent_complete: done ? 100 : e.status === 'started' ? 50 : 0,
    rate: null,
    read: false,
    seen: false,
    status: e.status,
    time_remaining: null,
    username: 'demo-operator',
  };
}

export function firewallJson(fw: EmulatedFirewall): LinodeFirewall {
  return {
    id: fw.id,
    label: fw.label,
    status: fw.status,
    tags: fw.tags,
    created: linodeTime(fw.created),
    updated: linodeTime(fw.updated),
    rules: rulesJson(fw),
  };
}

export function rulesJson(fw: EmulatedFirewall): LinodeFirewall['rules'] {
  const r = fw.rules;
  return {
    inbound: r.inbound as LinodeFirewall['rules']['inbound'],
    inbound_policy: r.inbound_policy,
    outbound: r.outbound as LinodeFirewall['rules']['outbound'],
    outbound_policy: r.outbound_policy,
    fingerprint: fingerprint(JSON.stringify([r.inbound, r.inbound_policy, r.outbound, r.outbound_policy])),
    version: r.version,
  };
}

export function deviceJson(state: LinodeEmulatorState, d: EmulatedFirewall['devices'][number]): LinodeFirewallDevice {
  const label = state.instances.get(d.linodeId)?.label ?? '';
  return {
    id: d.id,
    entity: { id: d.linodeId, type: 'linode', label, url: `/v4/linode/instances/${d.linodeId}` },
    created: linodeTime(d.created),
    updated: linodeTime(d.created),
  };
}

function fingerprint(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
