import { randomBytes, randomUUID } from 'node:crypto';
import { ENHANCE_EMULATOR_MASTER_ORG_ID, ENHANCE_EMULATOR_TOKEN } from '../index.ts';

/**
 * What the Enhance emulator remembers (spec §3, §6). One master org (MO) with customer orgs
 * below it; logins realm-wide; members per org; plans (integer ids) of the MO; subscriptions
 * (integer ids) of a customer to a plan; websites (uuid) with their domains. Soft-deleted
 * records stay with `status: "deleted"`; a forced delete removes them.
 *
 * Per-website maps for DNS zones, e-mail, MySQL, apps and backups are part of the model so the
 * later endpoint files only add routes.
 */

export { ENHANCE_EMULATOR_MASTER_ORG_ID, ENHANCE_EMULATOR_TOKEN };

export interface EmuOrg {
  id: string;
  parentId: string | null;
  name: string;
  status: 'active' | 'deleted';
  suspendedBy: string | null;
  createdAt: string;
  locale: string;
}

export interface EmuLogin {
  id: string;
  email: string;
  name: string;
  /** Never served; kept to show it arrived. */
  hasPassword: boolean;
  /** The org the login was created for (`POST /logins?orgId=`). */
  orgId: string | null;
  registeredAt: string;
}

export interface EmuMember {
  id: string;
  orgId: string;
  loginId: string;
  roles: string[];
  siteAccesses: string[];
  joinedAt: string;
}

export interface EmuResource {
  name: string;
  /** null: unlimited. */
  total: number | null;
}

export interface EmuPlan {
  id: number;
  orgId: string;
  name: string;
  resources: EmuResource[];
  allowances: { name: string }[];
  selections: { name: string; value: string }[];
  planType: 'shared' | 'dedicated';
  serverGroupId: string | null;
  serverGroupIds: string[];
  allowServerGroupSelection: boolean;
  allowedPhpVersions: string[];
  defaultPhpVersion: string;
  redisAllowed: boolean;
  /** Node.js and other persistent apps (node.ts). */
  persistentAppsAllowed: boolean;
  createdAt: string;
}

export interface EmuSubscription {
  id: number;
  planId: number;
  subscriberId: string;
  vendorId: string;
  status: 'active' | 'deleted';
  suspendedBy: string | null;
  friendlyName: string | null;
  createdAt: string;
}

export interface EmuDomain {
  id: string;
  domain: string;
  documentRoot: string;
  kind: 'primary' | 'preview' | 'addon' | 'alias' | 'subdomain';
}

/** Later endpoint files (DNS, e-mail, MySQL, apps, backups, SSL) keep their records here. */
export interface EmuWebsiteExtras {
  dnsZones: Map<string, { records: Array<Record<string, unknown>> }>;
  emails: Map<string, Record<string, unknown>>;
  mysqlDbs: Map<string, Record<string, unknown>>;
  mysqlUsers: Map<string, Record<string, unknown>>;
  apps: Map<string, Record<string, unknown>>;
  backups: Map<number, Record<string, unknown>>;
  /** The backup or restore running now (one at a time per website). */
  job: EmuJob | null;
  certificates: Map<string, Record<string, unknown>>;
  /** Node.js versions (node.ts); absent until first used. */
  node?: EmuNode;
}

export interface EmuNode {
  installed: string[];
  default: string | null;
}

/** An asynchronous job: `started` until `dueAt` (ms since epoch), then `successful` or `failed`. */
export interface EmuJob {
  action: 'backup' | 'restore';
  backupId: number;
  startedAt: string;
  dueAt: number;
  fails: boolean;
}

export interface EmuWebsite {
  id: string;
  orgId: string;
  subscriptionId: number;
  domains: EmuDomain[];
  status: 'active' | 'disabled' | 'deleted';
  isSuspended: boolean;
  suspendedBy: string | null;
  phpVersion: string;
  serverGroupId: string;
  serverIps: { ip: string; isPrimary: boolean }[];
  unixUser: string;
  createdAt: string;
  extras: EmuWebsiteExtras;
}

export interface EmuServerGroup {
  id: string;
  name: string;
  ips: string[];
  createdAt: string;
}

export interface EmuRecordedRequest {
  at: string;
  method: string;
  /** Below /api. */
  path: string;
  query: Record<string, string>;
  status: number;
  /** Passwords redacted. */
  body: unknown;
}

export interface EmuFault {
  method: string | null;
  path: string | RegExp | null;
  /** Answer with this status and body (default `{code}` from the status)… */
  status?: number;
  body?: unknown;
  /** …or wait this long first (then handle normally unless the client gave up). */
  delayMs?: number;
  remaining: number;
}

export interface EnhanceEmulatorOptions {
  /** The master org's token. Default ENHANCE_EMULATOR_TOKEN. */
  token?: string;
  masterOrgId?: string;
  /** The largest page a listing answers (the real default is unconfirmed). Default 100. */
  maxPageSize?: number;
  /** Domains the platform refuses (`prohibited`). Default a few reserved names. */
  prohibitedDomains?: string[];
  /** Seed plans and a server group (demo and most tests). Default true. */
  seed?: boolean;
  /** Where browsers reach the emulator (SSO links point there); default: the request's own origin. */
  publicOrigin?: string | null;
  /** How long asynchronous jobs (backups, restores) take, in real time. Default 3 s. */
  jobMs?: number;
}

export interface EnhanceEmulatorState {
  options: Required<EnhanceEmulatorOptions>;
  /** token → org it acts for (the MO token, plus customer-scoped ones issued by the controls). */
  tokens: Map<string, string>;
  orgs: Map<string, EmuOrg>;
  logins: Map<string, EmuLogin>;
  members: Map<string, EmuMember>;
  plans: Map<number, EmuPlan>;
  subscriptions: Map<number, EmuSubscription>;
  websites: Map<string, EmuWebsite>;
  serverGroups: Map<string, EmuServerGroup>;
  /** Single-use SSO one-time passwords → member id. */
  otps: Map<string, string>;
  faults: EmuFault[];
  requests: EmuRecordedRequest[];
  seq: { plan: number; subscription: number; ip: number; backup: number };
  /** How many of the next asynchronous jobs end `failed`. */
  failJobs: number;
  /** Aborted when the emulator closes (ends delays). */
  closing: AbortController;
}

export const nowIso = () => new Date().toISOString();
export const uuid = () => randomUUID();
export const otp = () => randomBytes(24).toString('base64url');

const PHP = ['php74', 'php80', 'php81', 'php82', 'php83', 'php84'];

export function createEnhanceEmulatorState(opts: EnhanceEmulatorOptions = {}): EnhanceEmulatorState {
  const options: Required<EnhanceEmulatorOptions> = {
    token: opts.token ?? ENHANCE_EMULATOR_TOKEN,
    masterOrgId: opts.masterOrgId ?? ENHANCE_EMULATOR_MASTER_ORG_ID,
    maxPageSize: opts.maxPageSize ?? 100,
    prohibitedDomains: opts.prohibitedDomains ?? ['localhost', 'example.com', 'example.net', 'example.org', 'invalid'],
    seed: opts.seed ?? true,
    publicOrigin: opts.publicOrigin?.replace(/\/+$/, '') ?? null,
    jobMs: opts.jobMs ?? 3_000,
  };
  const state: EnhanceEmulatorState = {
    options,
    tokens: new Map([[options.token, options.masterOrgId]]),
    orgs: new Map(),
    logins: new Map(),
    members: new Map(),
    plans: new Map(),
    subscriptions: new Map(),
    websites: new Map(),
    serverGroups: new Map(),
    otps: new Map(),
    faults: [],
    requests: [],
    seq: { plan: 0, subscription: 100, ip: 10, backup: 0 },
    failJobs: 0,
    closing: new AbortController(),
  };
  state.orgs.set(options.masterOrgId, {
    id: options.masterOrgId,
    parentId: null,
    name: 'Demo Hosting (master)',
    status: 'active',
    suspendedBy: null,
    createdAt: nowIso(),
    locale: 'en',
  });
  if (options.seed) seed(state);
  return state;
}

const GB = 1024 ** 3;

function seed(state: EnhanceEmulatorState): void {
  const eu = addServerGroup(state, 'Europe (Frankfurt)', ['203.0.113.10', '203.0.113.11']);
  addServerGroup(state, 'North America (Newark)', ['198.51.100.20']);
  const res = (websites: number | null, disk: number, mailboxes: number | null, dbs: number | null) => [
    { name: 'websites', total: websites },
    { name: 'diskspace', total: disk * GB },
    { name: 'transfer', total: disk * 10 * GB },
    { name: 'mailboxes', total: mailboxes },
    { name: 'mysqlDbs', total: dbs },
    { name: 'ftpUsers', total: websites === null ? null : websites * 2 },
    { name: 'dnsRecords', total: null },
  ];
  addPlan(state, { name: 'Starter', resources: res(1, 10, 5, 2), serverGroupId: eu.id });
  addPlan(state, {
    name: 'Business',
    resources: res(5, 50, 25, 10),
    allowServerGroupSelection: true,
    redisAllowed: true,
  });
  addPlan(state, {
    name: 'Agency',
    resources: res(25, 200, null, null),
    allowServerGroupSelection: true,
    redisAllowed: true,
    allowances: [{ name: 'ssh' }, { name: 'staging' }, { name: 'redis' }],
    persistentAppsAllowed: true,
  });
}

export function addServerGroup(state: EnhanceEmulatorState, name: string, ips: string[]): EmuServerGroup {
  const group = { id: uuid(), name, ips, createdAt: nowIso() };
  state.serverGroups.set(group.id, group);
  return group;
}

export function addPlan(
  state: EnhanceEmulatorState,
  p: Partial<Omit<EmuPlan, 'id' | 'orgId' | 'createdAt'>> & { name: string },
): EmuPlan {
  const plan: EmuPlan = {
    id: ++state.seq.plan,
    orgId: state.options.masterOrgId,
    resources: [],
    allowances: [{ name: 'ssh' }],
    selections: [],
    planType: 'shared',
    serverGroupId: null,
    serverGroupIds: [...state.serverGroups.keys()],
    allowServerGroupSelection: false,
    allowedPhpVersions: PHP,
    defaultPhpVersion: 'php83',
    redisAllowed: false,
    persistentAppsAllowed: false,
    createdAt: nowIso(),
    ...p,
  };
  state.plans.set(plan.id, plan);
  return plan;
}

export function emptyExtras(): EmuWebsiteExtras {
  return {
    dnsZones: new Map(),
    emails: new Map(),
    mysqlDbs: new Map(),
    mysqlUsers: new Map(),
    apps: new Map(),
    backups: new Map(),
    job: null,
    certificates: new Map(),
  };
}
