import { z } from 'zod';

/**
 * Linode API v4 wire shapes (specs/linode-api-v4.md §6, spec version 4.189.0).
 *
 * The interfaces are the full shapes: the emulator builds them, so it cannot drift from what
 * the spec says Linode sends. The zod schemas are what the adapter reads (only the fields it
 * uses, loose so that fields Linode adds later pass through untouched). The two must change
 * together; the adapter's tests against the emulator catch a mismatch.
 *
 * Timestamps are UTC without a zone suffix ("2024-05-14T06:53:59"); ids of instances,
 * backups, StackScripts, firewalls and events are integers; types, regions and images are slugs.
 */

// ── envelopes ────────────────────────────────────────────────────────────────

/** Every collection: `{data, page, pages, results}` (§2). */
export interface LinodePage<T> {
  data: T[];
  page: number;
  pages: number;
  results: number;
}

/** Every 4xx/5xx: `{errors:[{field?, reason}]}` (§4). `field` may be absent or null. */
export interface LinodeErrorEnvelope {
  errors: Array<{ field?: string | null; reason: string }>;
}

/** `X-Filter` (§3): field literals or operator objects, `+and`/`+or` nesting, `+order_by`/`+order`. */
export type LinodeFilter = { [key: string]: unknown };

export const pageSchema = z.looseObject({
  data: z.array(z.unknown()),
  page: z.number(),
  pages: z.number(),
  results: z.number(),
});
export const errorEnvelopeSchema = z.looseObject({
  errors: z.array(z.looseObject({ field: z.string().nullish(), reason: z.string() })),
});

// ── instances ────────────────────────────────────────────────────────────────

/** The 4.189 status enum (§6.1). */
export const LINODE_STATUSES = [
  'running',
  'offline',
  'booting',
  'busy', // booting while joining a placement group
  'rebooting',
  'shutting_down',
  'provisioning',
  'deleting',
  'migrating', // resize (and host migrations)
  'rebuilding',
  'cloning',
  'restoring',
  'stopped', // host maintenance
  'billing_suspension', // unpaid account
] as const;
export type LinodeStatus = (typeof LINODE_STATUSES)[number];

export interface LinodeInstance {
  id: number;
  label: string;
  group: string;
  status: LinodeStatus;
  created: string;
  updated: string;
  type: string;
  region: string;
  image: string | null;
  /** Public first, then private. Present from the create response on. */
  ipv4: string[];
  /** SLAAC address with `/128`, or null. */
  ipv6: string | null;
  specs: { disk: number; memory: number; vcpus: number; gpus: number; transfer: number };
  alerts: { cpu: number; network_in: number; network_out: number; transfer_quota: number; io: number };
  backups: {
    enabled: boolean;
    available: boolean;
    last_successful: string | null;
    schedule: { day: string | null; window: string | null };
  };
  hypervisor: 'kvm';
  watchdog_enabled: boolean;
  tags: string[];
  host_uuid: string;
  has_user_data: boolean;
  capabilities: string[];
  lke_cluster_id: number | null;
  placement_group: { id: number; label: string } | null;
}

export const instanceSchema = z.looseObject({
  id: z.number(),
  label: z.string(),
  status: z.string(),
  created: z.string(),
  updated: z.string(),
  type: z.string(),
  region: z.string(),
  image: z.string().nullable(),
  ipv4: z.array(z.string()),
  ipv6: z.string().nullable(),
  specs: z.looseObject({ disk: z.number(), memory: z.number(), vcpus: z.number(), transfer: z.number() }),
  backups: z.looseObject({
    enabled: z.boolean(),
    last_successful: z.string().nullish(),
    schedule: z.looseObject({ day: z.string().nullish(), window: z.string().nullish() }).nullish(),
  }),
  tags: z.array(z.string()),
});

// ── catalogue ────────────────────────────────────────────────────────────────

export interface LinodePrice {
  hourly: number | null;
  monthly: number | null;
}
export interface LinodeRegionPrice {
  id: string;
  hourly: number;
  monthly: number;
}

/** `class`: nanode, standard, dedicated, premium, gpu, highmem (some responses: accelerated). */
export interface LinodeType {
  id: string;
  label: string;
  class: string;
  disk: number;
  memory: number;
  vcpus: number;
  gpus: number;
  network_out: number;
  transfer: number;
  price: LinodePrice;
  region_prices: LinodeRegionPrice[];
  addons: { backups: { price: LinodePrice; region_prices: LinodeRegionPrice[] } };
  successor: string | null;
}

const priceSchema = z.looseObject({ hourly: z.number().nullable(), monthly: z.number().nullable() });
const regionPriceSchema = z.looseObject({ id: z.string(), hourly: z.number(), monthly: z.number() });
export const typeSchema = z.looseObject({
  id: z.string(),
  label: z.string(),
  class: z.string().optional(),
  type_class: z.string().optional(),
  disk: z.number(),
  memory: z.number(),
  vcpus: z.number(),
  network_out: z.number(),
  transfer: z.number(),
  price: priceSchema,
  region_prices: z.array(regionPriceSchema).optional(),
  addons: z.looseObject({ backups: z.looseObject({ price: priceSchema }).nullish() }).nullish(),
  successor: z.string().nullish(),
});

export interface LinodeRegion {
  id: string;
  label: string;
  /** ISO 3166-1 alpha-2, lower case. */
  country: string;
  capabilities: string[];
  status: 'ok' | 'outage';
  resolvers: { ipv4: string; ipv6: string };
  /** The 4.189 spec spells it `site-type`; SkyPanelV2 reads `site_type` (unconfirmed which is on the wire). */
  site_type: 'core' | 'distributed';
  placement_group_limits: { maximum_pgs_per_customer: number | null; maximum_linodes_per_pg: number };
}

export const regionSchema = z.looseObject({
  id: z.string(),
  label: z.string(),
  country: z.string(),
  capabilities: z.array(z.string()),
  status: z.string(),
});

export interface LinodeImage {
  id: string;
  label: string;
  description: string | null;
  created: string;
  created_by: string | null;
  updated: string;
  type: 'manual' | 'automatic';
  is_public: boolean;
  vendor: string | null;
  size: number;
  total_size: number;
  deprecated: boolean;
  expiry: string | null;
  eol: string | null;
  status: 'creating' | 'pending_upload' | 'available';
  capabilities: string[];
  tags: string[];
  regions: Array<{ region: string; status: string }>;
}

export const imageSchema = z.looseObject({
  id: z.string(),
  label: z.string(),
  is_public: z.boolean(),
  vendor: z.string().nullable(),
  size: z.number(),
  deprecated: z.boolean(),
  status: z.string().optional(),
});

export interface LinodeUdf {
  name: string;
  label: string;
  example?: string;
  default?: string;
  oneOf?: string;
  manyOf?: string;
}

export interface LinodeStackScript {
  id: number;
  username: string;
  user_gravatar_id: string;
  label: string;
  description: string;
  images: string[];
  is_public: boolean;
  mine: boolean;
  created: string;
  updated: string;
  rev_note: string;
  script: string;
  /** Parsed from the `<UDF ...>` tags in `script`; read-only. */
  user_defined_fields: LinodeUdf[];
  deployments_active: number;
  deployments_total: number;
}

export const stackScriptSchema = z.looseObject({
  id: z.number(),
  label: z.string(),
  description: z.string().nullish(),
  images: z.array(z.string()),
  user_defined_fields: z.array(
    z.looseObject({
      name: z.string(),
      label: z.string(),
      example: z.string().nullish(),
      default: z.string().nullish(),
      oneOf: z.string().nullish(),
      manyOf: z.string().nullish(),
    }),
  ),
});

// ── networking ───────────────────────────────────────────────────────────────

export interface LinodeIp {
  address: string;
  gateway: string | null;
  subnet_mask: string;
  prefix: number;
  type: 'ipv4' | 'ipv6' | 'ipv6/pool' | 'ipv6/range';
  public: boolean;
  /** Default for public IPv4: `a-b-c-d.ip.linodeusercontent.com`. */
  rdns: string | null;
  linode_id: number;
  region: string;
}

export const ipSchema = z.looseObject({
  address: z.string(),
  type: z.string(),
  public: z.boolean(),
  rdns: z.string().nullable(),
});

/** `GET /linode/instances/{id}/ips` (not paged). */
export interface LinodeInstanceIps {
  ipv4: { public: LinodeIp[]; private: LinodeIp[]; shared: LinodeIp[]; reserved: LinodeIp[]; vpc: unknown[] };
  ipv6: {
    slaac: LinodeIp | null;
    link_local: LinodeIp | null;
    global: Array<{ range: string; prefix: number; region: string; route_target: string | null }>;
  };
}

export const instanceIpsSchema = z.looseObject({
  ipv4: z.looseObject({ public: z.array(ipSchema), private: z.array(ipSchema), shared: z.array(ipSchema).optional() }),
  ipv6: z.looseObject({ slaac: ipSchema.nullable() }).nullable(),
});

// ── backups ──────────────────────────────────────────────────────────────────

export interface LinodeBackup {
  id: number;
  label: string | null;
  /** Examples in the docs say `automatic`, the enum says `auto`: both are read as automatic. */
  type: 'auto' | 'automatic' | 'snapshot';
  status: 'paused' | 'pending' | 'running' | 'needsPostProcessing' | 'successful' | 'failed' | 'userAborted';
  available: boolean;
  created: string;
  updated: string;
  finished: string | null;
  configs: string[];
  disks: Array<{ label: string; size: number; filesystem: string }>;
}

export interface LinodeBackups {
  automatic: LinodeBackup[];
  snapshot: { current: LinodeBackup | null; in_progress: LinodeBackup | null };
}

export const backupSchema = z.looseObject({
  id: z.number(),
  label: z.string().nullable(),
  type: z.string(),
  status: z.string(),
  available: z.boolean(),
  created: z.string(),
  finished: z.string().nullable(),
});
export const backupsSchema = z.looseObject({
  automatic: z.array(backupSchema),
  snapshot: z.looseObject({ current: backupSchema.nullable(), in_progress: backupSchema.nullable() }),
});

// ── firewalls ────────────────────────────────────────────────────────────────

export interface LinodeFirewallRule {
  action: 'ACCEPT' | 'DROP';
  protocol: 'TCP' | 'UDP' | 'ICMP' | 'IPENCAP';
  ports?: string;
  addresses: { ipv4?: string[]; ipv6?: string[] };
  label?: string | null;
  description?: string | null;
}

export interface LinodeFirewallRules {
  inbound: LinodeFirewallRule[];
  inbound_policy: 'ACCEPT' | 'DROP';
  outbound: LinodeFirewallRule[];
  outbound_policy: 'ACCEPT' | 'DROP';
  fingerprint?: string;
  version?: number;
}

export interface LinodeFirewall {
  id: number;
  label: string;
  status: 'enabled' | 'disabled' | 'deleted';
  tags: string[];
  created: string;
  updated: string;
  rules: LinodeFirewallRules;
}

export interface LinodeFirewallDevice {
  id: number;
  entity: { id: number; type: 'linode' | 'nodebalancer'; label: string; url: string };
  created: string;
  updated: string;
}

const ruleSchema = z.looseObject({
  action: z.enum(['ACCEPT', 'DROP']),
  protocol: z.enum(['TCP', 'UDP', 'ICMP', 'IPENCAP']),
  ports: z.string().nullish(),
  addresses: z.looseObject({ ipv4: z.array(z.string()).nullish(), ipv6: z.array(z.string()).nullish() }).nullish(),
  label: z.string().nullish(),
});
export const firewallRulesSchema = z.looseObject({
  inbound: z.array(ruleSchema).nullish(),
  inbound_policy: z.enum(['ACCEPT', 'DROP']),
  outbound: z.array(ruleSchema).nullish(),
  outbound_policy: z.enum(['ACCEPT', 'DROP']),
});
export const firewallSchema = z.looseObject({
  id: z.number(),
  label: z.string(),
  status: z.string(),
  rules: firewallRulesSchema,
});
export const firewallDeviceSchema = z.looseObject({
  id: z.number(),
  entity: z.looseObject({ id: z.number(), type: z.string() }),
});

// ── events, usage, account, console ──────────────────────────────────────────

export type LinodeEventStatus = 'failed' | 'finished' | 'notification' | 'scheduled' | 'started';

export interface LinodeEvent {
  id: number;
  action: string;
  created: string;
  duration: number | null;
  entity: { id: number; label: string; type: string; url: string } | null;
  secondary_entity: { id: number | string; label: string; type: string; url: string } | null;
  message: string | null;
  percent_complete: number | null;
  rate: string | null;
  read: boolean;
  seen: boolean;
  status: LinodeEventStatus;
  time_remaining: string | null;
  username: string;
}

/** Per instance, current month: `used` in bytes, `quota` and `billable` in GB. */
export interface LinodeTransfer {
  used: number;
  quota: number;
  billable: number;
}
export const transferSchema = z.looseObject({ used: z.number(), quota: z.number(), billable: z.number() });

export interface LinodeAccountTransfer {
  used: number;
  quota: number;
  billable: number;
  region_transfers: Array<{ id: string; used: number; quota: number; billable: number }>;
}

export type LinodeSeries = Array<[number, number]>;
/** Last 24 hours, points `[epoch ms, value]`; network in bits/s, IO in blocks/s. */
export interface LinodeStats {
  title: string;
  cpu: LinodeSeries;
  io: { io: LinodeSeries; swap: LinodeSeries };
  netv4: { in: LinodeSeries; out: LinodeSeries; private_in: LinodeSeries; private_out: LinodeSeries };
  netv6: { in: LinodeSeries; out: LinodeSeries; private_in: LinodeSeries; private_out: LinodeSeries };
}
const seriesSchema = z.array(z.tuple([z.number(), z.number()]));
export const statsSchema = z.looseObject({
  cpu: seriesSchema,
  io: z.looseObject({ io: seriesSchema }),
  netv4: z.looseObject({ in: seriesSchema, out: seriesSchema }),
  netv6: z.looseObject({ in: seriesSchema, out: seriesSchema }),
});

export interface LinodeAccount {
  email: string;
  first_name: string;
  last_name: string;
  company: string;
  balance: number;
  balance_uninvoiced: number;
  euuid: string;
  active_since: string;
  capabilities: string[];
  country: string;
}
export const accountSchema = z.looseObject({ email: z.string(), company: z.string().nullish() });

export interface LinodeProfile {
  username: string;
  email: string;
  uid: number;
  restricted: boolean;
  timezone: string;
  authorized_keys: string[] | null;
  two_factor_auth: boolean;
}
export const profileSchema = z.looseObject({ username: z.string(), email: z.string().nullish() });

/** `POST /linode/instances/{id}/lish`. Every value carries a credential: secrets, never logged. */
export interface LinodeLish {
  weblish_url: string;
  glish_url: string;
  monitor_url: string;
  ws_protocols: string[];
}
export const lishSchema = z.looseObject({ weblish_url: z.string(), ws_protocols: z.array(z.string()) });

/** The JSON a Lish socket sends (as a message or as its close reason) when it refuses or ends a session. */
export interface LishError {
  type: 'error';
  reason: string;
  grn?: string;
}
