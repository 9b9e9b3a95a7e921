/**
 * The Enhance control panel API ("orchd", /work/shared/specs/enhance.md): the subset SkyPanel
 * uses, as the client hands it to the domain. Ids are what Enhance uses on the wire: UUID
 * strings for orgs, logins, members, websites, domains and server groups; integers for plans
 * and subscriptions. Objects keep the spec's field names; fields the spec marks optional are
 * `null` when absent, and unknown extra fields are dropped (the live panel version may add some).
 *
 * White-label: nothing here that reaches a customer names Enhance (EnhanceError.message).
 */

/** Member roles (spec §3 Role). */
export const ENHANCE_ROLES = ['Owner', 'SuperAdmin', 'Business', 'SiteAccess', 'Support', 'Sysadmin'] as const;
export type EnhanceRole = (typeof ENHANCE_ROLES)[number];

/** Plan resource names (spec §3 ResourceName, 12.21.3 and 12.25.8). Others may appear: kept as strings. */
export const ENHANCE_RESOURCE_NAMES = [
  'customers',
  'diskspace',
  'domainAliases',
  'forwarders',
  'ftpUsers',
  'mailboxes',
  'mysqlDbs',
  'pageViews',
  'processes',
  'stagingWebsites',
  'transfer',
  'websites',
  'addonDomains',
  'subdomains',
  'dnsRecords',
  'postgresqlDbs',
] as const;
export type EnhanceResourceName = (typeof ENHANCE_RESOURCE_NAMES)[number];

export const WEBSITE_STATUSES = ['active', 'disabled', 'deleted'] as const;
export type EnhanceWebsiteStatus = (typeof WEBSITE_STATUSES)[number];

export const DOMAIN_CHECK_STATUSES = [
  'prohibited',
  'notInUse',
  'inUseCurrentOrg',
  'inUseAnotherOrg',
  'inUseDeletedSite',
] as const;
export type EnhanceDomainCheckStatus = (typeof DOMAIN_CHECK_STATUSES)[number];

export interface EnhanceOrg {
  id: string;
  parentId: string | null;
  name: string;
  status: 'active' | 'deleted' | string;
  /** Uuid of the org that suspended this one, if suspended. */
  suspendedBy: string | null;
  owner: string | null;
  ownerEmail: string | null;
  ownerId: string | null;
  ownerLoginId: string | null;
  subscriptionsCount: number;
  websitesCount: number;
  createdAt: string;
  locale: string;
}

export interface EnhanceLogin {
  id: string;
  email: string;
  name: string;
  registeredAt: string | null;
  authMethod: string | null;
  locale: string | null;
}

export interface EnhanceMember {
  id: string;
  loginId: string;
  email: string;
  name: string;
  isActive: boolean;
  roles: string[];
  siteAccesses: string[];
  joinedAt: string | null;
}

/** `total: null` = unlimited. `diskspace`/`transfer` totals are bytes (unconfirmed). */
export interface EnhancePlanResource {
  name: string;
  total: number | null;
}

export interface EnhancePlan {
  id: number;
  name: string;
  orgId: string | null;
  resources: EnhancePlanResource[];
  allowances: { name: string }[];
  selections: { name: string; value: string }[];
  subscriptionsCount: number;
  planType: 'shared' | 'dedicated' | string;
  serverGroupId: string | null;
  serverGroupIds: string[];
  allowServerGroupSelection: boolean;
  allowedPhpVersions: string[];
  defaultPhpVersion: string | null;
  redisAllowed: boolean;
  createdAt: string | null;
}

export interface EnhanceSubscriptionResource extends EnhancePlanResource {
  usage: number;
}

export interface EnhanceSubscription {
  id: number;
  planId: number;
  planName: string;
  /** The customer org. */
  subscriberId: string;
  /** The master org. */
  vendorId: string;
  status: 'active' | 'deleted' | string;
  suspendedBy: string | null;
  friendlyName: string | null;
  resources: EnhanceSubscriptionResource[];
  allowances: { name: string }[];
  selections: { name: string; value: string }[];
  planType: string;
  allowedPhpVersions: string[];
  defaultPhpVersion: string | null;
  serverGroups: EnhanceServerGroup[];
  /** Node.js and other persistent apps (false when the panel does not say). */
  persistentAppsAllowed?: boolean;
}

/** PATCH /orgs/{org}/subscriptions/{id} (UpdateSubscription): every field optional. */
export interface EnhanceSubscriptionUpdate {
  status?: 'active' | 'deleted';
  isSuspended?: boolean;
  planId?: number;
  friendlyName?: string;
}

export interface EnhanceWebsiteDomain {
  id: string;
  domain: string;
  documentRoot: string;
  kind: 'primary' | 'preview' | 'addon' | 'alias' | 'subdomain' | string;
  cloudflareStatus: string | null;
}

export interface EnhanceWebsite {
  id: string;
  /** An object, not a string (spec §7: SkyPanel compared it to a string). */
  domain: EnhanceWebsiteDomain;
  aliases: EnhanceWebsiteDomain[];
  subscriptionId: number | null;
  planId: number | null;
  plan: string | null;
  status: EnhanceWebsiteStatus | string;
  suspendedBy: string | null;
  orgId: string;
  kind: string;
  size: number;
  unixUser: string | null;
  phpVersion: string | null;
  serverIps: { ip: string; isPrimary: boolean }[];
  createdAt: string | null;
}

/** PATCH /orgs/{org}/websites/{W} (UpdateWebsite). */
export interface EnhanceWebsiteUpdate {
  phpVersion?: string;
  status?: EnhanceWebsiteStatus;
  isSuspended?: boolean;
  subscriptionId?: number;
}

export interface EnhanceNewWebsite {
  domain: string;
  subscriptionId: number;
  /** Only when the plan has `allowServerGroupSelection`. */
  serverGroupId?: string;
  phpVersion?: string;
}

export interface EnhanceDomainCheck {
  status: EnhanceDomainCheckStatus | string;
  websiteId: string | null;
}

export interface EnhanceServerGroup {
  id: string;
  name: string;
  serverCount: number;
  createdAt: string | null;
}

export interface EnhanceLoginInfo {
  email: string;
  name: string;
  password: string;
}

export type EnhanceHealth = { ok: true } | { ok: false; message: string };

export interface EnhanceClientOptions {
  /** The panel's URL (`https://panel.example.com`); `/api` is appended unless it already ends in /api. */
  baseUrl: string;
  /** The master org's access token; a leading `Bearer ` is stripped. */
  token: string;
  /** Uuid of the master org (set under Admin → Web hosting). */
  masterOrgId: string;
  /** Default global fetch (tests may pass an `app.request`-backed one). */
  fetch?: typeof fetch;
  /** Budget per HTTP attempt. Default 15 s. */
  timeoutMs?: number;
  /** Retries after the first attempt, for calls that may be repeated (GET, PUT, PATCH, DELETE). Default 2. */
  retries?: number;
  /** Waits between attempts; tests pass one that records instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1) source for jitter. Default Math.random. */
  random?: () => number;
  /** One line per retry (method, path, status, delay): never the token or a body. */
  logger?: { warn(obj: Record<string, unknown>, msg: string): void };
}

export type EnhanceMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface EnhanceRequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** Safe to repeat. Default: every method but POST. */
  idempotent?: boolean;
  /** Answer a 3xx with `{ location }` instead of following it (webmail SSO). */
  manualRedirect?: boolean;
}

export interface EnhanceClient {
  /** `<panel>/api`, without a trailing slash. */
  readonly baseUrl: string;
  readonly masterOrgId: string;
  /** One call; the parsed JSON answer (object, array, string, boolean, number), or null for an empty body. */
  request(method: EnhanceMethod, path: string, opts?: EnhanceRequestOptions): Promise<unknown>;
  /** Every item of a listing (`{items,total}`, `{items}` or a bare array), paging by 100 while `total` says there is more. */
  list(path: string, query?: EnhanceRequestOptions['query']): Promise<unknown[]>;

  /** GET /orgs/{MO}: ok, or the reason in words for the admin (never the token). */
  health(): Promise<EnhanceHealth>;
  getOrg(orgId: string): Promise<EnhanceOrg>;
  /** False when the org is gone (404, or soft-deleted). */
  orgExists(orgId: string): Promise<boolean>;

  listCustomers(): Promise<EnhanceOrg[]>;
  /** POST /orgs/{MO}/customers → the new org's uuid. */
  createCustomer(name: string): Promise<string>;
  listOrgLogins(orgId: string): Promise<EnhanceLogin[]>;
  /** GET /logins (MO realm), every page. */
  listLogins(): Promise<EnhanceLogin[]>;
  /** Case-insensitive: the org's logins first when `orgId` is given, then the whole realm. */
  findLoginByEmail(email: string, orgId?: string): Promise<EnhanceLogin | null>;
  /** POST /logins?orgId={C} → the login's uuid; 409 → EnhanceError with `detail: 'login'`. */
  createLogin(orgId: string, login: EnhanceLoginInfo): Promise<string>;
  listMembers(orgId: string): Promise<EnhanceMember[]>;
  /** POST /orgs/{C}/members → the member's uuid. */
  addMember(orgId: string, member: { loginId: string; roles: EnhanceRole[] }): Promise<string>;
  /** PUT /orgs/{C}/owner. */
  setOwner(orgId: string, memberId: string): Promise<void>;
  /** A fresh single-use login URL (GET …/members/{id}/sso, 201 bare JSON string or `{url}`). Never log it. */
  memberSsoUrl(orgId: string, memberId: string): Promise<string>;

  /** GET /orgs/{MO}/plans, every page. */
  listPlans(): Promise<EnhancePlan[]>;
  /** POST /orgs/{MO}/customers/{C}/subscriptions → the integer id; 409 → `detail: 'subscription'`. */
  createSubscription(customerId: string, sub: { planId: number; friendlyName?: string }): Promise<number>;
  listSubscriptions(customerId: string): Promise<EnhanceSubscription[]>;
  getSubscription(orgId: string, id: number): Promise<EnhanceSubscription>;
  updateSubscription(orgId: string, id: number, patch: EnhanceSubscriptionUpdate): Promise<void>;
  /** Soft delete (`status: deleted`) unless `force` (hard delete, master org only). */
  deleteSubscription(orgId: string, id: number, opts?: { force?: boolean }): Promise<void>;

  checkDomain(orgId: string, domain: string): Promise<EnhanceDomainCheck>;
  /** POST /orgs/{C}/websites → the website's uuid; 403 `detail: 'domain'` when the domain cannot be hosted. */
  createWebsite(orgId: string, site: EnhanceNewWebsite): Promise<string>;
  getWebsite(orgId: string, websiteId: string): Promise<EnhanceWebsite>;
  listWebsites(orgId: string, opts?: { showDeleted?: boolean }): Promise<EnhanceWebsite[]>;
  updateWebsite(orgId: string, websiteId: string, patch: EnhanceWebsiteUpdate): Promise<void>;
  /** `{status:"disabled", isSuspended:true}` or `{status:"active", isSuspended:false}` (spec §7: never "suspended"). */
  setWebsiteSuspended(orgId: string, websiteId: string, suspended: boolean): Promise<void>;
  deleteWebsite(orgId: string, websiteId: string, opts?: { force?: boolean }): Promise<void>;
  /** GET /servers/groups (master org only). */
  listServerGroups(): Promise<EnhanceServerGroup[]>;

  /** GET …/websites/{W}/domains: the website's domains (primary, aliases, addons, subdomains). */
  listWebsiteDomains(orgId: string, websiteId: string): Promise<EnhanceDomainMapping[]>;
  /** POST …/websites/{W}/domains → the domain's uuid; 403 `detail: 'domain'` when it cannot be hosted. */
  addWebsiteDomain(orgId: string, websiteId: string, domain: EnhanceNewMappedDomain): Promise<string>;
  deleteWebsiteDomain(orgId: string, websiteId: string, domainId: string): Promise<void>;
  /** PUT …/websites/{W}/domains/primary: the domain becomes the website's primary (the old one stays as an alias). */
  setPrimaryDomain(orgId: string, websiteId: string, domainId: string): Promise<void>;
  getDnsZone(orgId: string, websiteId: string, domainId: string): Promise<EnhanceDnsZone>;
  /** → the record's id; 400 when the value does not fit the kind. */
  createDnsRecord(orgId: string, websiteId: string, domainId: string, record: EnhanceNewDnsRecord): Promise<string>;
  updateDnsRecord(
    orgId: string,
    websiteId: string,
    domainId: string,
    recordId: string,
    patch: Partial<EnhanceNewDnsRecord>,
  ): Promise<void>;
  deleteDnsRecord(orgId: string, websiteId: string, domainId: string, recordId: string): Promise<void>;

  listEmails(orgId: string, websiteId: string): Promise<EnhanceEmail[]>;
  /** POST …/domains/{D}/emails → the id; 409 when the address exists, 403 when the plan's mailboxes are used up. */
  createEmail(orgId: string, websiteId: string, domainId: string, email: EnhanceNewEmail): Promise<string>;
  getEmail(orgId: string, websiteId: string, address: string): Promise<EnhanceEmail>;
  updateEmail(orgId: string, websiteId: string, address: string, patch: EnhanceEmailUpdate): Promise<void>;
  deleteEmail(orgId: string, websiteId: string, address: string): Promise<void>;
  /** A fresh single-use webmail login URL (the panel answers 302 with Location, or a string / `{url}`). Never log it. */
  webmailSsoUrl(orgId: string, websiteId: string, address: string): Promise<string>;

  listMysqlDbs(orgId: string, websiteId: string): Promise<EnhanceMysqlDb[]>;
  /** 201 without a body; 409 when it exists, 403 when the plan's databases are used up. */
  createMysqlDb(orgId: string, websiteId: string, name: string): Promise<void>;
  deleteMysqlDb(orgId: string, websiteId: string, name: string): Promise<void>;
  /** A fresh phpMyAdmin login URL (200 bare JSON string). Never log it. */
  mysqlSsoUrl(orgId: string, websiteId: string, name: string): Promise<string>;
  listMysqlUsers(orgId: string, websiteId: string): Promise<EnhanceMysqlUser[]>;
  createMysqlUser(orgId: string, websiteId: string, user: { username: string; password: string }): Promise<void>;
  setMysqlUserPassword(orgId: string, websiteId: string, username: string, password: string): Promise<void>;
  deleteMysqlUser(orgId: string, websiteId: string, username: string): Promise<void>;
  /** PUT …/mysql-users/{u}/privileges: the user's grants on one database (an empty list revokes). */
  grantMysqlUser(orgId: string, websiteId: string, username: string, dbName: string, grants: string[]): Promise<void>;

  listBackups(orgId: string, websiteId: string): Promise<EnhanceBackup[]>;
  /** Starts a backup (asynchronous: poll `getBackup` or `backupInProgress`); 409 while another runs. */
  createBackup(
    orgId: string,
    websiteId: string,
    opts?: { description?: string; includeEmails?: boolean },
  ): Promise<EnhanceBackup>;
  getBackup(orgId: string, websiteId: string, backupId: number): Promise<EnhanceBackup>;
  /** Starts restoring a backup (asynchronous: poll `restoreStatus`). */
  restoreBackup(orgId: string, websiteId: string, backupId: number, opts?: EnhanceRestoreOptions): Promise<void>;
  deleteBackup(orgId: string, websiteId: string, backupId: number): Promise<void>;
  /** The backup or restore running now, or null when none (the panel answers 404 then). */
  backupInProgress(orgId: string, websiteId: string): Promise<EnhanceBackupProgress | null>;
  restoreStatus(orgId: string, websiteId: string, backupId: number): Promise<EnhanceRestoreStatus>;

  listApps(orgId: string, websiteId: string): Promise<EnhanceApp[]>;
  /** Starts installing WordPress (asynchronous: poll `listApps` for `installStatus`) → the app's uuid. */
  installWordPress(orgId: string, websiteId: string, install: EnhanceNewWordPress): Promise<string>;
  deleteApp(orgId: string, websiteId: string, appId: string): Promise<void>;
  listWpUsers(orgId: string, websiteId: string, appId: string): Promise<EnhanceWpUser[]>;
  /** A fresh wp-admin auto-login URL (200 bare JSON string). Never log it. */
  wpUserSsoUrl(orgId: string, websiteId: string, appId: string, userId: number): Promise<string>;
  listWpPlugins(orgId: string, websiteId: string, appId: string): Promise<EnhanceWpPlugin[]>;
  updateWpPlugin(
    orgId: string,
    websiteId: string,
    appId: string,
    plugin: string,
    patch: { status?: 'active' | 'inactive'; autoUpdate?: 'enabled' | 'disabled' },
  ): Promise<void>;
  /** Updates the plugin to its newest version. */
  upgradeWpPlugin(orgId: string, websiteId: string, appId: string, plugin: string): Promise<void>;

  /** Requests a Let's Encrypt certificate for a domain (uuid); issuance is asynchronous: poll `getCertificate`. */
  issueLetsEncrypt(domainId: string): Promise<void>;
  /** The domain's certificate, or null while it has none (404). The private key is never returned. */
  getCertificate(domainId: string): Promise<EnhanceCertificate | null>;
  /** Installs a certificate and its private key (PEM); 400 when either is not PEM. */
  uploadCertificate(domainId: string, pem: { cert: string; key: string }): Promise<void>;
  setForceHttps(domainId: string, on: boolean): Promise<void>;

  /** The website's Node.js versions: those it may install, those installed, the default (null when none or unknown). */
  nodeVersions(websiteId: string): Promise<EnhanceNodeVersions>;
  /** Installs a Node.js version (one of `possible`). */
  installNodeVersion(websiteId: string, version: string): Promise<void>;
  /** Makes an installed Node.js version the website's default. */
  setDefaultNodeVersion(websiteId: string, version: string): Promise<void>;
}

/** GET /websites/{W}/apps/node/possible_versions, …/versions and …/versions/default. */
export interface EnhanceNodeVersions {
  possible: string[];
  installed: string[];
  default: string | null;
}

export interface EnhanceCertificate {
  cn: string;
  issuer: string;
  issued: string | null;
  expires: string | null;
  sans: string[];
  forceHttps: boolean;
}

export interface EnhanceApp {
  id: string;
  app: 'wordpress' | 'joomla' | string;
  path: string;
  version: string | null;
  defaultWpUserId: number | null;
  /** The emulator's progress field; the live panel's signal is unconfirmed (null when absent). */
  installStatus: EnhanceJobStatus | string | null;
}

export interface EnhanceNewWordPress {
  adminUsername: string;
  adminPassword: string;
  adminEmail: string;
  /** Below the document root; '' for the site itself. */
  path?: string;
  version?: string;
}

export interface EnhanceWpUser {
  id: number;
  login: string;
  email: string;
  role: string | null;
}

export interface EnhanceWpPlugin {
  name: string;
  version: string;
  /** The newer version available, if any. */
  update: string | null;
  status: 'active' | 'inactive' | 'unknown' | string;
  autoUpdate: 'enabled' | 'disabled' | string | null;
}

export type EnhanceJobStatus = 'started' | 'successful' | 'failed';

export interface EnhanceBackup {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  kind: 'manual' | 'automatic' | 'archive' | string;
  description: string | null;
  size: number | null;
  homeDirStatus: EnhanceJobStatus | string | null;
  mysqlDbsStatus: EnhanceJobStatus | string | null;
  emailsStatus: EnhanceJobStatus | string | null;
}

export interface EnhanceRestoreOptions {
  restoreFiles?: boolean;
  restoreDatabases?: string[];
  restoreAllEmails?: boolean;
}

export interface EnhanceBackupProgress {
  id: number;
  websiteId: string;
  startedAt: string;
  action: 'backup' | 'restore' | string;
}

export interface EnhanceRestoreStatus {
  backupId: number;
  startedAt: string;
  finishedAt: string | null;
  homeDirStatus: EnhanceJobStatus | string | null;
  mysqlDbsStatus: EnhanceJobStatus | string | null;
  emailsStatus: EnhanceJobStatus | string | null;
}

export interface EnhanceMysqlDb {
  name: string;
  /** Bytes. */
  size: number;
  createdAt: string | null;
}

export interface EnhanceMysqlUser {
  username: string;
  accessHosts: string[];
  /** Database name → privileges. */
  grants: Record<string, string[]>;
  createdAt: string | null;
}

export interface EnhanceDomainMapping {
  domainId: string;
  websiteId: string;
  domain: string;
  mappingKind: 'primary' | 'preview' | 'addon' | 'alias' | 'subdomain' | string;
  documentRoot: string;
}

export interface EnhanceNewMappedDomain {
  domain: string;
  documentRoot?: string;
  /** Default alias. */
  kind?: 'alias' | 'addon' | 'subdomain';
}

export const DNS_RECORD_KINDS = ['A', 'AAAA', 'CNAME', 'TXT', 'SPF', 'SRV', 'NS', 'MX', 'PTR', 'DS', 'CAA'] as const;
export type EnhanceDnsRecordKind = (typeof DNS_RECORD_KINDS)[number];

export interface EnhanceDnsRecord {
  id: string;
  kind: EnhanceDnsRecordKind | string;
  name: string;
  value: string;
  ttl: number | null;
  proxy: boolean;
}

export interface EnhanceNewDnsRecord {
  kind: EnhanceDnsRecordKind;
  /** `@` for the zone's origin, or a label relative to it. */
  name: string;
  value: string;
  ttl?: number;
  proxy?: boolean;
}

export interface EnhanceDnsZone {
  origin: string;
  soa: { adminEmail: string; nameServer: string; expire: number; refresh: number; retry: number; ttl: number };
  records: EnhanceDnsRecord[];
}

export interface EnhanceEmail {
  address: string;
  websiteId: string | null;
  mailboxName: string | null;
  hasMailbox: boolean;
  aliases: string[];
  forwarders: string[];
  status: 'active' | 'disabled' | 'deleted' | 'suspended' | string;
  /** Bytes; total null = unlimited. */
  quota: { usage: number; total: number | null } | null;
  isCatchAll: boolean;
  createdAt: string | null;
}

export interface EnhanceNewEmail {
  /** The local part. */
  username: string;
  mailboxName?: string;
  /** Given: a mailbox; without it, forwarders are expected. */
  mailboxPassword?: string;
  aliases?: string[];
  forwarders?: string[];
  /** Bytes. */
  quota?: number;
  isCatchAll?: boolean;
}

export interface EnhanceEmailUpdate {
  mailboxName?: string;
  mailboxPassword?: string;
  aliases?: string[];
  forwarders?: string[];
  hasMailbox?: boolean;
  status?: 'active' | 'disabled';
  quota?: number;
  isCatchAll?: boolean;
}

export type EnhanceErrorKind =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'validation'
  | 'unavailable'
  | 'timeout'
  | 'network'
  | 'unexpected';

/**
 * Every failure of the client. `message` is safe to show (white-label: never "Enhance", never
 * the token); `adminMessage` adds the method, path and status for staff and logs; `detail` is
 * Enhance's own (`login`, `subscription`, `domain`, …) for code to branch on.
 */
export class EnhanceError extends Error {
  override readonly name = 'EnhanceError';
  constructor(
    readonly kind: EnhanceErrorKind,
    message: string,
    readonly opts: {
      /** HTTP status, or null when no answer came (timeout, network). */
      status: number | null;
      /** The error body's `code`, when there was one. */
      code?: string | null;
      /** The error body's `detail` (SkyPanel relies on `login`, `subscription`, `domain`). */
      detail?: string | null;
      /** For staff: method, path, status, the panel's own words. */
      adminMessage: string;
    },
  ) {
    super(message);
  }
  get status(): number | null {
    return this.opts.status;
  }
  get code(): string | null {
    return this.opts.code ?? null;
  }
  get detail(): string | null {
    return this.opts.detail ?? null;
  }
  get adminMessage(): string {
    return this.opts.adminMessage;
  }
}

/** The website's primary IP: the one marked primary, else the first, else null. */
export function primaryIp(site: Pick<EnhanceWebsite, 'serverIps'>): string | null {
  return site.serverIps.find((s) => s.isPrimary)?.ip ?? site.serverIps[0]?.ip ?? null;
}
