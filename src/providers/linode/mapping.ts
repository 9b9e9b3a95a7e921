import type { z } from 'zod';
import { parseMoney } from '../../lib/money.ts';
import type {
  CloudBackup,
  CloudImage,
  CloudInstance,
  CloudRegion,
  CloudScript,
  CloudType,
  FirewallRule,
  FirewallRules,
  ProviderStatus,
} from '../cloud.ts';
import type {
  backupSchema,
  firewallRulesSchema,
  imageSchema,
  instanceSchema,
  LinodeFirewallRule,
  regionSchema,
  stackScriptSchema,
  typeSchema,
} from './types.ts';

/**
 * Linode's wire shapes in the contract's words (src/providers/cloud.ts): statuses, ids as
 * strings, image ids without Linode's name, prices as exact micro-units, zone-less timestamps
 * read as UTC, firewall rules. Pure functions; index.ts calls them on answers it has already
 * checked with the schemas.
 */

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
  const micros = parseMoney(`${whole}.${frac.slice(0, 6) || '0'}`);
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

/** Linode's own public images are `linode/<name>`; the prefix names the provider and stays on the wire. */
const PUBLIC_IMAGE = 'linode/';

/**
 * An image id as Linode sends it → the contract's id. Linode's public images lose their
 * `linode/` prefix (`linode/debian12` → `debian12`), so nothing above the adapter (the API,
 * pages, stored rows) ever shows the provider's name. Every other id keeps its shape
 * (`private/123` for an account's own images, `any/all` in a StackScript's image list).
 * `imageIdIn` is its inverse.
 */
export function imageIdOut(id: string): string {
  const name = id.startsWith(PUBLIC_IMAGE) ? id.slice(PUBLIC_IMAGE.length) : '';
  // Only a plain name is stripped, so that imageIdIn always finds the way back.
  return name && !name.includes('/') ? name : id;
}

/**
 * The contract's image id → the id Linode takes. An id without a `/` is one of Linode's public
 * images (`debian12` → `linode/debian12`); an id with one is already Linode's (`private/123`,
 * and the `linode/…` ids stored before the adapter dropped the prefix), and goes as it is.
 */
export function imageIdIn(id: string): string {
  return id.includes('/') ? id : `${PUBLIC_IMAGE}${id}`;
}

export function toInstance(i: Instance): CloudInstance {
  return {
    id: String(i.id),
    label: i.label,
    status: mapStatus(i.status),
    providerStatus: i.status,
    region: i.region,
    type: i.type,
    image: i.image === null ? null : imageIdOut(i.image),
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

export function toBackup(b: Backup): CloudBackup {
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

export function toType(t: z.infer<typeof typeSchema>): CloudType {
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
    regionPrices: (t.region_prices ?? []).map((p) => ({
      region: p.id,
      monthlyPrice: priceMicros(p.monthly),
      hourlyPrice: priceMicros(p.hourly),
    })),
    successor: t.successor ?? null,
  };
}

export const toRegion = (r: z.infer<typeof regionSchema>): CloudRegion => ({
  id: r.id,
  label: r.label,
  country: r.country.toLowerCase(),
  available: r.status === 'ok',
  capabilities: r.capabilities,
});

export const toImage = (i: z.infer<typeof imageSchema>): CloudImage => ({
  id: imageIdOut(i.id),
  label: i.label,
  vendor: i.vendor,
  deprecated: i.deprecated,
  sizeMb: i.size,
});

export const toScript = (s: z.infer<typeof stackScriptSchema>): CloudScript => ({
  id: String(s.id),
  label: s.label,
  description: s.description ?? '',
  images: s.images.map(imageIdOut),
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
  return {
    action: r.action,
    protocol: r.protocol,
    ports: r.ports ?? null,
    ipv4: r.addresses?.ipv4 ?? [],
    ipv6: r.addresses?.ipv6 ?? [],
    label: r.label ?? null,
  };
}
export function toRules(r: z.infer<typeof firewallRulesSchema>): FirewallRules {
  return {
    inbound: (r.inbound ?? []).map(toRule),
    inboundPolicy: r.inbound_policy,
    outbound: (r.outbound ?? []).map(toRule),
    outboundPolicy: r.outbound_policy,
  };
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
export const fromRules = (r: FirewallRules) => ({
  inbound: r.inbound.map(fromRule),
  inbound_policy: r.inboundPolicy,
  outbound: r.outbound.map(fromRule),
  outbound_policy: r.outboundPolicy,
});

/** Point-wise sum of series sampled at the same instants (IPv4 + IPv6 traffic). */
export function addSeries(a: Array<[number, number]>, b: Array<[number, number]>): Array<[number, number]> {
  const byTime = new Map<number, number>(a.map(([t, v]) => [t, v]));
  for (const [t, v] of b) byTime.set(t, (byTime.get(t) ?? 0) + v);
  return [...byTime.entries()].sort(([x], [y]) => x - y);
}
