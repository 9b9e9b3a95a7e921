/**
 * The contract every server provider implements (Linode today; the rest of the app never
 * names one). A provider answers with the outside system's facts in neutral words; the
 * domain (src/domain/servers) decides what they mean for customers and money.
 *
 * Ids the provider hands out are strings here, whatever the provider uses on the wire.
 * Prices are integer micro-units of the provider's currency (USD for Linode), parsed from
 * the provider's decimal numbers exactly (never through float arithmetic).
 */

/** Where a provider instance is in its life, in the provider's own terms. */
export const PROVIDER_STATUSES = [
  'provisioning', // being created
  'booting', // powering on
  'running', // powered on
  'shutting_down', // powering off
  'offline', // powered off
  'rebooting', // restarting
  'rebuilding', // disk being rewritten from an image
  'resizing', // moving to another plan (Linode: migrating, resize in progress)
  'restoring', // a backup being restored onto it
  'deleting', // going away
  'unknown', // a state the adapter does not recognise (host maintenance, billing suspension at the provider)
] as const;
export type ProviderStatus = (typeof PROVIDER_STATUSES)[number];

export interface CloudType {
  id: string;
  label: string;
  /** The provider's class (Linode: nanode, standard, dedicated, highmem, premium, gpu). */
  class: string;
  vcpus: number;
  memoryMb: number;
  diskMb: number;
  transferGb: number;
  networkOutMbps: number;
  /** The provider's monthly price to the reseller, and its backups add-on, in micro-units. */
  monthlyPrice: bigint;
  hourlyPrice: bigint;
  backupsMonthlyPrice: bigint;
  /** Per-region price overrides. */
  regionPrices: Array<{ region: string; monthlyPrice: bigint; hourlyPrice: bigint }>;
  successor: string | null;
}

export interface CloudRegion {
  id: string;
  label: string;
  /** ISO 3166-1 alpha-2, lower case as providers send it (`us`, `de`). */
  country: string;
  available: boolean;
  capabilities: string[];
}

export interface CloudImage {
  /** Neutral: no provider's name in it (`debian12`, not Linode's `linode/debian12`); the adapter translates. */
  id: string;
  label: string;
  vendor: string | null;
  deprecated: boolean;
  sizeMb: number;
}

export interface CloudScriptField {
  name: string;
  label: string;
  example: string | null;
  default: string | null;
  /** Comma-separated choices (one of them). */
  oneOf: string | null;
  /** Comma-separated choices (several of them). */
  manyOf: string | null;
}

/** A deploy script run at first boot (Linode: a StackScript), with the fields it asks for. */
export interface CloudScript {
  id: string;
  label: string;
  description: string;
  images: string[];
  fields: CloudScriptField[];
}

export interface CloudCatalogue {
  types: CloudType[];
  regions: CloudRegion[];
  images: CloudImage[];
  scripts: CloudScript[];
}

export interface CloudInstance {
  id: string;
  label: string;
  status: ProviderStatus;
  /** The provider's own word for the status, for admins and logs. */
  providerStatus: string;
  region: string;
  type: string;
  image: string | null;
  ipv4: string[];
  ipv6: string | null;
  vcpus: number;
  memoryMb: number;
  diskMb: number;
  transferGb: number;
  backups: { enabled: boolean; day: string | null; window: string | null; lastSuccessful: Date | null };
  tags: string[];
  created: Date;
  updated: Date;
}

export interface CreateInstanceInput {
  label: string;
  region: string;
  type: string;
  image: string;
  rootPassword: string;
  authorizedKeys: string[];
  backups: boolean;
  privateIp: boolean;
  scriptId?: string;
  scriptData?: Record<string, string>;
  /**
   * A tag unique to this create. A create that times out is never blindly retried: the
   * adapter looks the instance up by this tag before it reports a failure.
   */
  tag: string;
  /** Extra tags (the platform's own marker). */
  tags?: string[];
}

export interface RebuildInput {
  image: string;
  rootPassword: string;
  authorizedKeys: string[];
  scriptId?: string;
  scriptData?: Record<string, string>;
}

export interface CloudBackup {
  id: string;
  label: string | null;
  kind: 'automatic' | 'snapshot';
  status: string;
  available: boolean;
  created: Date;
  finished: Date | null;
}

export interface CloudBackups {
  automatic: CloudBackup[];
  snapshot: { current: CloudBackup | null; inProgress: CloudBackup | null };
}

export interface CloudAddress {
  address: string;
  type: 'ipv4' | 'ipv6';
  public: boolean;
  rdns: string | null;
}

export interface FirewallRule {
  action: 'ACCEPT' | 'DROP';
  protocol: 'TCP' | 'UDP' | 'ICMP' | 'IPENCAP';
  /** "22", "80,443", "8000-9000"; empty for ICMP. */
  ports: string | null;
  ipv4: string[];
  ipv6: string[];
  label: string | null;
}

export interface FirewallRules {
  inbound: FirewallRule[];
  inboundPolicy: 'ACCEPT' | 'DROP';
  outbound: FirewallRule[];
  outboundPolicy: 'ACCEPT' | 'DROP';
}

export interface CloudFirewall {
  id: string;
  label: string;
  status: 'enabled' | 'disabled';
  rules: FirewallRules;
  /** Instance ids this firewall is attached to, with the provider's device id for each. */
  devices: Array<{ deviceId: string; instanceId: string }>;
}

export interface CloudTransfer {
  /** Bytes used this calendar month (provider's counter; it resets at the month's start). */
  usedBytes: bigint;
  quotaGb: number;
  billableGb: number;
}

/** Time series of the last day, points `[epoch ms, value]`. */
export interface CloudStats {
  cpuPercent: Array<[number, number]>;
  /** Public IPv4 + IPv6, bits per second. */
  networkIn: Array<[number, number]>;
  networkOut: Array<[number, number]>;
  /** Disk blocks per second. */
  diskIo: Array<[number, number]>;
}

/** The provider's out-of-band text console for one session. The URL carries a credential: a secret. */
export interface ConsoleSession {
  url: string;
  protocols: string[];
}

export type CloudErrorKind =
  | 'unauthorized' // the provider refused our token
  | 'forbidden' // the token lacks a scope
  | 'validation' // the provider refused the input (see field)
  | 'busy' // the instance is in a transitional state
  | 'not_found'
  | 'rate_limited'
  | 'unavailable' // 5xx, maintenance
  | 'timeout'
  | 'network';

/**
 * A provider failure. `message` is precise and for staff (it may name the provider and quote
 * it); `customerMessage` is white-label, written for customers, and never names the provider
 * or repeats its wording.
 */
export class CloudError extends Error {
  constructor(
    readonly kind: CloudErrorKind,
    message: string,
    readonly customerMessage: string,
    readonly opts: { status?: number; field?: string; retryAfter?: number } = {},
  ) {
    super(message);
    this.name = 'CloudError';
  }
  get field(): string | undefined {
    return this.opts.field;
  }
  get status(): number | undefined {
    return this.opts.status;
  }
}

export interface CloudProvider {
  /** The kind stored with a provider row (`linode`). */
  readonly kind: string;
  /** Checks the credentials; answers the account's identifying facts. */
  validate(): Promise<{ account: string }>;
  catalogue(): Promise<CloudCatalogue>;

  create(input: CreateInstanceInput): Promise<CloudInstance>;
  get(id: string): Promise<CloudInstance | null>;
  /** Every instance on the account (all pages), optionally only those with `tag`. */
  list(opts?: { tag?: string }): Promise<CloudInstance[]>;
  findByTag(tag: string): Promise<CloudInstance | null>;
  boot(id: string): Promise<void>;
  shutdown(id: string): Promise<void>;
  reboot(id: string): Promise<void>;
  rebuild(id: string, input: RebuildInput): Promise<void>;
  resize(id: string, type: string): Promise<void>;
  rename(id: string, label: string): Promise<void>;
  /** Only while the instance is powered off (the provider refuses otherwise). */
  resetRootPassword(id: string, password: string): Promise<void>;
  delete(id: string): Promise<void>;

  enableBackups(id: string): Promise<void>;
  cancelBackups(id: string): Promise<void>;
  /** `day`: Sunday..Saturday or null (provider picks); `window`: W0, W2 … W22 or null. */
  scheduleBackups(id: string, day: string | null, window: string | null): Promise<void>;
  snapshot(id: string, label: string): Promise<CloudBackup>;
  backups(id: string): Promise<CloudBackups>;
  restore(id: string, backupId: string, targetId: string, overwrite: boolean): Promise<void>;

  addresses(id: string): Promise<CloudAddress[]>;
  /** Sets (or with null resets) the reverse DNS name of one of the instance's addresses. */
  setReverseDns(address: string, name: string | null): Promise<CloudAddress>;

  firewalls(): Promise<CloudFirewall[]>;
  createFirewall(label: string, rules: FirewallRules): Promise<CloudFirewall>;
  updateFirewallRules(firewallId: string, rules: FirewallRules): Promise<CloudFirewall>;
  deleteFirewall(firewallId: string): Promise<void>;
  attachFirewall(firewallId: string, instanceId: string): Promise<void>;
  detachFirewall(firewallId: string, instanceId: string): Promise<void>;

  transfer(id: string): Promise<CloudTransfer>;
  /** Null while the provider has no statistics yet (new instances). */
  stats(id: string): Promise<CloudStats | null>;
  console(id: string): Promise<ConsoleSession>;
}
