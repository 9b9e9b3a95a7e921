import { attemptFetch, backoff, parseJsonObject, queryString, type HttpAttempt } from '../../lib/http.ts';
import {
  EnhanceError,
  type EnhanceApp,
  type EnhanceBackup,
  type EnhanceClient,
  type EnhanceClientOptions,
  type EnhanceDnsZone,
  type EnhanceDomainCheck,
  type EnhanceDomainMapping,
  type EnhanceEmail,
  type EnhanceErrorKind,
  type EnhanceLogin,
  type EnhanceMember,
  type EnhanceMethod,
  type EnhanceMysqlDb,
  type EnhanceMysqlUser,
  type EnhanceOrg,
  type EnhancePlan,
  type EnhanceRequestOptions,
  type EnhanceServerGroup,
  type EnhanceSubscription,
  type EnhanceWebsite,
  type EnhanceWebsiteDomain,
} from './types.ts';

/**
 * The Enhance API ("orchd", /work/shared/specs/enhance.md §1–§2) over plain `fetch`, as the
 * master org's access token. One client per connection setting.
 *
 * Base URL: the panel's URL with `/api` appended unless it already ends in /api. Requests carry
 * `Authorization: Bearer`, `Accept: application/json`, and `Content-Type` only with a body.
 * Each attempt has a time budget (15 s). Calls safe to repeat (GET, PUT, PATCH, DELETE) are
 * retried with backoff on 5xx, timeouts and network errors only; a POST is never repeated on
 * our own (a create that may have happened is for the caller to look up).
 *
 * Answers are read tolerantly (the spec's "unconfirmed" corners): listings as `{items,total}`,
 * `{items}` or a bare array; bodies as bare JSON strings/booleans; creates as `{id}` with a
 * uuid or an integer; 204s as null. Failures are `EnhanceError`s whose `message` is
 * white-label; the token never appears in an error or a log line.
 */

export const ENHANCE_TIMEOUT_MS = 15_000;
export const ENHANCE_PAGE_SIZE = 100;
const MAX_PAGES = 1_000;

/** `https://panel.example.com/` → `https://panel.example.com/api`; a URL ending in /api is kept. */
export function enhanceApiBase(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  return /\/api$/i.test(trimmed) ? trimmed : `${trimmed}/api`;
}

/** The env value without a leading `Bearer ` (people paste the whole header). */
export function enhanceToken(value: string): string {
  return value.trim().replace(/^Bearer\s+/i, '');
}

export function createEnhanceClient(opts: EnhanceClientOptions): EnhanceClient {
  const baseUrl = enhanceApiBase(opts.baseUrl);
  const token = enhanceToken(opts.token);
  const mo = opts.masterOrgId;
  const timeoutMs = opts.timeoutMs ?? ENHANCE_TIMEOUT_MS;
  const retries = opts.retries ?? 2;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = opts.random ?? Math.random;
  const fetchFn = opts.fetch ?? fetch;
  const scrub = (s: string) => (token ? s.split(token).join('[redacted]') : s);
  const enc = encodeURIComponent;
  const site = (orgId: string, websiteId: string) => `/orgs/${enc(orgId)}/websites/${enc(websiteId)}`;
  const wp = (orgId: string, websiteId: string, appId: string) =>
    `${site(orgId, websiteId)}/apps/${enc(appId)}/wordpress`;
  const zone = (orgId: string, websiteId: string, domainId: string) =>
    `${site(orgId, websiteId)}/domains/${enc(domainId)}/dns-zone`;

  async function request(method: EnhanceMethod, path: string, o: EnhanceRequestOptions = {}): Promise<unknown> {
    const idempotent = o.idempotent ?? method !== 'POST';
    const url = baseUrl + path + queryString(o.query);
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const where = `${method} ${path}`;
    // An earlier attempt may have taken effect without us hearing about it.
    let uncertain = false;
    for (let n = 1; ; n++) {
      const redirect = o.manualRedirect ? 'manual' : 'follow';
      const a = await attemptFetch(url, { method, headers, body, redirect }, timeoutMs, fetchFn);
      if (a.kind === 'answer' && a.res.ok) return parseBody(a.raw, where, a.res.status);
      if (a.kind === 'answer' && o.manualRedirect && a.res.status >= 300 && a.res.status < 400)
        return { location: a.res.headers.get('location') };
      // A repeated DELETE that finds nothing: the first one went through.
      if (a.kind === 'answer' && a.res.status === 404 && method === 'DELETE' && uncertain) return null;
      const retryable = a.kind !== 'answer' || a.res.status >= 500;
      if (!idempotent || !retryable || n > retries) throw scrubbed(failure(where, a, timeoutMs, n));
      uncertain = true;
      const delay = backoff(n, random);
      opts.logger?.warn(
        { method, path, status: a.kind === 'answer' ? a.res.status : a.kind, attempt: n, delayMs: delay },
        'hosting platform call failed; retrying',
      );
      await sleep(delay);
    }
  }

  function scrubbed(e: EnhanceError): EnhanceError {
    return new EnhanceError(e.kind, scrub(e.message), {
      ...e.opts,
      detail: e.opts.detail == null ? e.opts.detail : scrub(e.opts.detail),
      adminMessage: scrub(e.opts.adminMessage),
    });
  }

  async function list(path: string, query: EnhanceRequestOptions['query'] = {}): Promise<unknown[]> {
    const items: unknown[] = [];
    let offset = 0;
    for (let n = 0; n < MAX_PAGES; n++) {
      const json = await request('GET', path, { query: { ...query, offset, limit: ENHANCE_PAGE_SIZE } });
      if (Array.isArray(json)) return [...items, ...json];
      const obj = asObject(json);
      if (!obj || !Array.isArray(obj.items)) throw unexpected(`GET ${path}`, 'a listing without items');
      items.push(...obj.items);
      offset += obj.items.length;
      if (typeof obj.total !== 'number' || obj.items.length === 0 || offset >= obj.total) return items;
    }
    throw unexpected(`GET ${path}`, `more than ${MAX_PAGES} pages`);
  }

  async function created(path: string, body: unknown, query?: EnhanceRequestOptions['query']): Promise<unknown> {
    const json = asObject(await request('POST', path, { body, query }));
    const id = json?.id;
    if (typeof id !== 'string' && typeof id !== 'number') throw unexpected(`POST ${path}`, 'a create without an id');
    return id;
  }
  const createdUuid = async (path: string, body: unknown, query?: EnhanceRequestOptions['query']) =>
    String(await created(path, body, query));
  async function createdInt(path: string, body: unknown): Promise<number> {
    const id = Number(await created(path, body));
    if (!Number.isInteger(id)) throw unexpected(`POST ${path}`, 'a create whose id is not an integer');
    return id;
  }

  /** A login link: a bare JSON string, `{url}` / `{redirectUrl}`, or a 3xx's Location (webmail). */
  async function loginUrl(path: string): Promise<string> {
    const json = await request('GET', path, { manualRedirect: true });
    const o = asObject(json);
    const url = typeof json === 'string' ? json : (o?.location ?? o?.url ?? o?.redirectUrl);
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) throw unexpected(`GET ${path}`, 'no login URL');
    return url;
  }

  const client: EnhanceClient = {
    baseUrl,
    masterOrgId: mo,
    request,
    list,

    async health() {
      try {
        await client.getOrg(mo);
        return { ok: true };
      } catch (err) {
        if (!(err instanceof EnhanceError)) throw err;
        return { ok: false, message: err.status ? `API returned ${err.status}: ${err.message}` : err.message };
      }
    },
    getOrg: async (orgId) => toOrg(await request('GET', `/orgs/${enc(orgId)}`)),
    async orgExists(orgId) {
      try {
        return (await client.getOrg(orgId)).status !== 'deleted';
      } catch (err) {
        if (err instanceof EnhanceError && err.status === 404) return false;
        throw err;
      }
    },

    listCustomers: async () => (await list(`/orgs/${enc(mo)}/customers`)).map(toOrg),
    createCustomer: (name) => createdUuid(`/orgs/${enc(mo)}/customers`, { name }),
    listOrgLogins: async (orgId) => (await list(`/orgs/${enc(orgId)}/logins`)).map(toLogin),
    listLogins: async () => (await list('/logins')).map(toLogin),
    async findLoginByEmail(email, orgId) {
      const wanted = email.trim().toLowerCase();
      const match = (logins: EnhanceLogin[]) => logins.find((l) => l.email.toLowerCase() === wanted) ?? null;
      if (orgId) {
        const found = match(await client.listOrgLogins(orgId));
        if (found) return found;
      }
      return match(await client.listLogins());
    },
    createLogin: (orgId, login) => createdUuid('/logins', login, { orgId }),
    listMembers: async (orgId) => (await list(`/orgs/${enc(orgId)}/members`)).map(toMember),
    addMember: (orgId, member) => createdUuid(`/orgs/${enc(orgId)}/members`, member),
    async setOwner(orgId, memberId) {
      await request('PUT', `/orgs/${enc(orgId)}/owner`, { body: { memberId } });
    },
    memberSsoUrl: (orgId, memberId) => loginUrl(`/orgs/${enc(orgId)}/members/${enc(memberId)}/sso`),

    listPlans: async () => (await list(`/orgs/${enc(mo)}/plans`)).map(toPlan),
    createSubscription: (customerId, sub) =>
      createdInt(`/orgs/${enc(mo)}/customers/${enc(customerId)}/subscriptions`, sub),
    listSubscriptions: async (customerId) =>
      (await list(`/orgs/${enc(mo)}/customers/${enc(customerId)}/subscriptions`)).map(toSubscription),
    getSubscription: async (orgId, id) =>
      toSubscription(await request('GET', `/orgs/${enc(orgId)}/subscriptions/${id}`)),
    async updateSubscription(orgId, id, patch) {
      await request('PATCH', `/orgs/${enc(orgId)}/subscriptions/${id}`, { body: patch });
    },
    async deleteSubscription(orgId, id, o = {}) {
      await request('DELETE', `/orgs/${enc(orgId)}/subscriptions/${id}`, { query: { force: o.force || undefined } });
    },

    async checkDomain(orgId, domain) {
      return toDomainCheck(await request('POST', `/orgs/${enc(orgId)}/domains/check`, { body: { domain } }));
    },
    createWebsite: (orgId, site) => createdUuid(`/orgs/${enc(orgId)}/websites`, site),
    getWebsite: async (orgId, websiteId) =>
      toWebsite(await request('GET', `/orgs/${enc(orgId)}/websites/${enc(websiteId)}`)),
    listWebsites: async (orgId, o = {}) =>
      (await list(`/orgs/${enc(orgId)}/websites`, { showDeleted: o.showDeleted || undefined })).map(toWebsite),
    async updateWebsite(orgId, websiteId, patch) {
      await request('PATCH', `/orgs/${enc(orgId)}/websites/${enc(websiteId)}`, { body: patch });
    },
    setWebsiteSuspended: (orgId, websiteId, suspended) =>
      client.updateWebsite(
        orgId,
        websiteId,
        suspended ? { status: 'disabled', isSuspended: true } : { status: 'active', isSuspended: false },
      ),
    async deleteWebsite(orgId, websiteId, o = {}) {
      await request('DELETE', `/orgs/${enc(orgId)}/websites/${enc(websiteId)}`, {
        query: { force: o.force || undefined },
      });
    },
    listServerGroups: async () => (await list('/servers/groups')).map(toServerGroup),

    listWebsiteDomains: async (orgId, websiteId) =>
      (await list(`${site(orgId, websiteId)}/domains`)).map(toDomainMapping),
    addWebsiteDomain: (orgId, websiteId, domain) => createdUuid(`${site(orgId, websiteId)}/domains`, domain),
    async deleteWebsiteDomain(orgId, websiteId, domainId) {
      await request('DELETE', `${site(orgId, websiteId)}/domains/${enc(domainId)}`);
    },
    async setPrimaryDomain(orgId, websiteId, domainId) {
      await request('PUT', `${site(orgId, websiteId)}/domains/primary`, { body: { domainId } });
    },
    getDnsZone: async (orgId, websiteId, domainId) =>
      toDnsZone(await request('GET', `${zone(orgId, websiteId, domainId)}`)),
    createDnsRecord: (orgId, websiteId, domainId, record) =>
      createdUuid(`${zone(orgId, websiteId, domainId)}/records`, record),
    async updateDnsRecord(orgId, websiteId, domainId, recordId, patch) {
      await request('PATCH', `${zone(orgId, websiteId, domainId)}/records/${enc(recordId)}`, { body: patch });
    },
    async deleteDnsRecord(orgId, websiteId, domainId, recordId) {
      await request('DELETE', `${zone(orgId, websiteId, domainId)}/records/${enc(recordId)}`);
    },

    listEmails: async (orgId, websiteId) => (await list(`${site(orgId, websiteId)}/emails`)).map(toEmail),
    createEmail: (orgId, websiteId, domainId, email) =>
      createdUuid(`${site(orgId, websiteId)}/domains/${enc(domainId)}/emails`, email),
    getEmail: async (orgId, websiteId, address) =>
      toEmail(await request('GET', `${site(orgId, websiteId)}/emails/${enc(address)}`)),
    async updateEmail(orgId, websiteId, address, patch) {
      await request('PATCH', `${site(orgId, websiteId)}/emails/${enc(address)}`, { body: patch });
    },
    async deleteEmail(orgId, websiteId, address) {
      await request('DELETE', `${site(orgId, websiteId)}/emails/${enc(address)}`);
    },
    webmailSsoUrl: (orgId, websiteId, address) => loginUrl(`${site(orgId, websiteId)}/emails/${enc(address)}/sso`),

    listMysqlDbs: async (orgId, websiteId) => (await list(`${site(orgId, websiteId)}/mysql-dbs`)).map(toMysqlDb),
    async createMysqlDb(orgId, websiteId, name) {
      await request('POST', `${site(orgId, websiteId)}/mysql-dbs`, { body: { name } });
    },
    async deleteMysqlDb(orgId, websiteId, name) {
      await request('DELETE', `${site(orgId, websiteId)}/mysql-dbs/${enc(name)}`);
    },
    mysqlSsoUrl: (orgId, websiteId, name) => loginUrl(`${site(orgId, websiteId)}/mysql-dbs/${enc(name)}/sso`),
    listMysqlUsers: async (orgId, websiteId) => (await list(`${site(orgId, websiteId)}/mysql-users`)).map(toMysqlUser),
    async createMysqlUser(orgId, websiteId, user) {
      await request('POST', `${site(orgId, websiteId)}/mysql-users`, { body: user });
    },
    async setMysqlUserPassword(orgId, websiteId, username, password) {
      await request('PUT', `${site(orgId, websiteId)}/mysql-users/${enc(username)}`, { body: { password } });
    },
    async deleteMysqlUser(orgId, websiteId, username) {
      await request('DELETE', `${site(orgId, websiteId)}/mysql-users/${enc(username)}`);
    },
    async grantMysqlUser(orgId, websiteId, username, dbName, grants) {
      await request('PUT', `${site(orgId, websiteId)}/mysql-users/${enc(username)}/privileges`, {
        body: { dbName, grants },
      });
    },

    listBackups: async (orgId, websiteId) => (await list(`${site(orgId, websiteId)}/backups`)).map(toBackup),
    createBackup: async (orgId, websiteId, o = {}) =>
      toBackup(
        await request('POST', `${site(orgId, websiteId)}/backups`, {
          body: o.description ? { description: o.description } : {},
          query: { includeEmails: o.includeEmails || undefined },
        }),
      ),
    getBackup: async (orgId, websiteId, backupId) =>
      toBackup(await request('GET', `${site(orgId, websiteId)}/backups/${backupId}`)),
    async restoreBackup(orgId, websiteId, backupId, o = {}) {
      await request('PUT', `${site(orgId, websiteId)}/backups/${backupId}`, { body: o });
    },
    async deleteBackup(orgId, websiteId, backupId) {
      await request('DELETE', `${site(orgId, websiteId)}/backups/${backupId}`);
    },
    async backupInProgress(orgId, websiteId) {
      try {
        const o = obj(await request('GET', `${site(orgId, websiteId)}/status/backup`));
        return { id: num(o.id), websiteId: str(o.websiteId), startedAt: str(o.startedAt), action: str(o.action) };
      } catch (err) {
        if (err instanceof EnhanceError && err.status === 404) return null;
        throw err;
      }
    },
    async restoreStatus(orgId, websiteId, backupId) {
      const o = obj(await request('GET', `${site(orgId, websiteId)}/backups/${backupId}/restore_status`));
      return {
        backupId: num(o.backupId),
        startedAt: str(o.startedAt),
        finishedAt: strOrNull(o.finishedAt),
        ...jobStatuses(o),
      };
    },

    listApps: async (orgId, websiteId) => (await list(`${site(orgId, websiteId)}/apps`)).map(toApp),
    installWordPress: (orgId, websiteId, install) =>
      createdUuid(`${site(orgId, websiteId)}/apps`, { app: 'wordpress', ...install }),
    async deleteApp(orgId, websiteId, appId) {
      await request('DELETE', `${site(orgId, websiteId)}/apps/${enc(appId)}`);
    },
    listWpUsers: async (orgId, websiteId, appId) =>
      (await list(`${wp(orgId, websiteId, appId)}/users`)).map((v) => {
        const o = obj(v);
        return { id: num(o.id), login: str(o.login), email: str(o.email), role: strOrNull(o.role) };
      }),
    wpUserSsoUrl: (orgId, websiteId, appId, userId) => loginUrl(`${wp(orgId, websiteId, appId)}/users/${userId}/sso`),
    listWpPlugins: async (orgId, websiteId, appId) =>
      (await list(`${wp(orgId, websiteId, appId)}/plugins`)).map((v) => {
        const o = obj(v);
        return {
          name: str(o.name),
          version: str(o.version),
          update: strOrNull(o.update),
          status: str(o.status, 'unknown'),
          autoUpdate: strOrNull(o.autoUpdate),
        };
      }),
    async updateWpPlugin(orgId, websiteId, appId, plugin, patch) {
      await request('PATCH', `${wp(orgId, websiteId, appId)}/plugins/${enc(plugin)}`, { body: patch });
    },
    async upgradeWpPlugin(orgId, websiteId, appId, plugin) {
      await request('PATCH', `${wp(orgId, websiteId, appId)}/plugins/${enc(plugin)}/version`);
    },

    async issueLetsEncrypt(domainId) {
      await request('POST', `/v2/domains/${enc(domainId)}/letsencrypt`);
    },
    async getCertificate(domainId) {
      try {
        const o = obj(await request('GET', `/v2/domains/${enc(domainId)}/ssl`));
        return {
          cn: str(o.cn),
          issuer: str(o.issuer),
          issued: strOrNull(o.issued),
          expires: strOrNull(o.expires),
          sans: strings(o.sans),
          forceHttps: o.forceHttps === true,
        };
      } catch (err) {
        if (err instanceof EnhanceError && err.status === 404) return null;
        throw err;
      }
    },
    async uploadCertificate(domainId, pem) {
      await request('POST', `/v2/domains/${enc(domainId)}/ssl`, { body: { cert: pem.cert, key: pem.key } });
    },
    async setForceHttps(domainId, on) {
      await request('PUT', `/v2/domains/${enc(domainId)}/ssl/force_ssl`, { body: on });
    },

    async nodeVersions(websiteId) {
      const at = `/websites/${enc(websiteId)}/apps/node`;
      const [possible, installed] = await Promise.all([
        request('GET', `${at}/possible_versions`),
        request('GET', `${at}/versions`),
      ]);
      // Reading the default back is not in the spec (unconfirmed): a 404 means "not known".
      let def: string | null = null;
      try {
        def = strOrNull(await request('GET', `${at}/versions/default`));
      } catch (err) {
        if (!(err instanceof EnhanceError && err.status === 404)) throw err;
      }
      return { possible: strings(possible), installed: strings(installed), default: def };
    },
    async installNodeVersion(websiteId, version) {
      await request('POST', `/websites/${enc(websiteId)}/apps/node/versions`, { body: version });
    },
    async setDefaultNodeVersion(websiteId, version) {
      await request('PUT', `/websites/${enc(websiteId)}/apps/node/versions/default`, { body: version });
    },
  };
  return client;
}

// ---------------------------------------------------------------------------------------------
// Answers

function parseBody(raw: string, where: string, status: number): unknown {
  if (!raw.trim()) return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw unexpected(where, `${status} with a body that is not JSON`);
  }
}

function asObject(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Customer-facing wording: ours, never Enhance's name. */
const MESSAGES = {
  unauthorized:
    'The hosting platform rejected the API token: check the hosting integration’s connection settings (URL and token).',
  forbidden:
    'The hosting platform refused the request: the API token lacks the permission for it (it must be a master organisation token).',
  domain: 'That domain cannot be hosted: it is not allowed, or it is already in use.',
  login: 'A hosting login already exists for that email address.',
  subscription: 'This customer already has a subscription to that hosting plan.',
  conflict: 'That already exists on the hosting platform.',
  notFound: 'The hosting account or resource could not be found.',
  invalid: 'The hosting platform refused the request',
  quota: 'The hosting plan’s limit for this has been reached',
  unavailable: 'The hosting platform had a problem; try again in a few minutes.',
  timeout: 'The hosting platform did not answer in time; try again in a minute.',
  network: 'The hosting platform could not be reached; try again in a few minutes.',
  unexpected: 'The hosting platform gave an unexpected answer; try again in a few minutes.',
} as const;

function unexpected(where: string, what: string): EnhanceError {
  return new EnhanceError('unexpected', MESSAGES.unexpected, {
    status: null,
    adminMessage: `Enhance ${where} answered with ${what}`,
  });
}

/** The panel's own words from an error body (`detail ?? message ?? reason ?? error`, or `errors[0]`). */
function errorFields(raw: string): { code: string | null; detail: string | null; text: string | null } {
  const obj = parseJsonObject(raw);
  if (!obj) return { code: null, detail: null, text: raw.trim() && raw.length < 200 ? raw.trim() : null };
  const s = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
  const first = Array.isArray(obj.errors) ? obj.errors[0] : undefined;
  const firstText = typeof first === 'string' ? first : (s(asObject(first)?.message) ?? s(asObject(first)?.detail));
  const detail = s(obj.detail);
  return {
    code: s(obj.code),
    detail,
    text: detail ?? s(obj.message) ?? s(obj.reason) ?? s(obj.error) ?? firstText ?? null,
  };
}

/** The panel's words, only when they can be shown without naming it. */
function quotable(text: string | null): string | null {
  if (!text || text.length > 160 || /enhance|orchd/i.test(text)) return null;
  return text;
}

function failure(where: string, a: HttpAttempt, timeoutMs: number, attempts: number): EnhanceError {
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if (a.kind === 'timeout')
    return new EnhanceError('timeout', MESSAGES.timeout, {
      status: null,
      adminMessage: `Enhance ${where} timed out after ${timeoutMs} ms${tries}`,
    });
  if (a.kind === 'network')
    return new EnhanceError('network', MESSAGES.network, {
      status: null,
      adminMessage: `Enhance ${where} failed: ${a.detail}${tries}`,
    });
  const status = a.res.status;
  const { code, detail, text } = errorFields(a.raw);
  const said = [code, text].filter(Boolean).join(': ') || 'no error body';
  const adminMessage = `Enhance ${where} failed: ${status} ${said}${tries}`;
  const make = (kind: EnhanceErrorKind, message: string) =>
    new EnhanceError(kind, message, { status, code, detail, adminMessage });
  const withWords = (base: string) => {
    const q = quotable(text);
    return q ? `${base}: ${q}` : `${base}.`;
  };
  if (status === 401) return make('unauthorized', MESSAGES.unauthorized);
  if (status === 403) {
    if (detail === 'domain') return make('forbidden', MESSAGES.domain);
    // Business-rule refusals (quotas) are 403s too; their body is unconfirmed.
    if (detail && /^[a-z][A-Za-z]*$/.test(detail) && detail !== 'forbidden' && detail !== 'unauthorized')
      return make('forbidden', `${MESSAGES.quota} (${detail}).`);
    return make('forbidden', MESSAGES.forbidden);
  }
  if (status === 404) return make('not_found', MESSAGES.notFound);
  if (status === 409) {
    if (detail === 'login') return make('conflict', MESSAGES.login);
    if (detail === 'subscription') return make('conflict', MESSAGES.subscription);
    return make('conflict', MESSAGES.conflict);
  }
  if (status === 400 || status === 422) return make('validation', withWords(MESSAGES.invalid));
  if (status >= 500) return make('unavailable', MESSAGES.unavailable);
  return make('unexpected', MESSAGES.unexpected);
}

// ---------------------------------------------------------------------------------------------
// Objects: the fields the domain uses, tolerant of missing and extra ones.

const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : d);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || d);
const numOrNull = (v: unknown): number | null =>
  v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> => asObject(v) ?? {};
const strings = (v: unknown): string[] => arr(v).filter((x): x is string => typeof x === 'string');

function toOrg(v: unknown): EnhanceOrg {
  const o = obj(v);
  return {
    id: str(o.id),
    parentId: strOrNull(o.parentId),
    name: str(o.name),
    status: str(o.status, 'active'),
    suspendedBy: strOrNull(o.suspendedBy),
    owner: strOrNull(o.owner),
    ownerEmail: strOrNull(o.ownerEmail),
    ownerId: strOrNull(o.ownerId),
    ownerLoginId: strOrNull(o.ownerLoginId),
    subscriptionsCount: num(o.subscriptionsCount),
    websitesCount: num(o.websitesCount),
    createdAt: str(o.createdAt),
    locale: str(o.locale, 'en'),
  };
}

function toLogin(v: unknown): EnhanceLogin {
  const o = obj(v);
  return {
    id: str(o.id),
    email: str(o.email),
    name: str(o.name),
    registeredAt: strOrNull(o.registeredAt),
    authMethod: strOrNull(o.authMethod),
    locale: strOrNull(o.locale),
  };
}

function toMember(v: unknown): EnhanceMember {
  const o = obj(v);
  return {
    id: str(o.id),
    loginId: str(o.loginId),
    email: str(o.email),
    name: str(o.name),
    isActive: o.isActive !== false,
    roles: strings(o.roles),
    siteAccesses: strings(o.siteAccesses),
    joinedAt: strOrNull(o.joinedAt),
  };
}

const toResource = (v: unknown) => ({ name: str(obj(v).name), total: numOrNull(obj(v).total) });
const toAllowance = (v: unknown) => ({ name: str(obj(v).name) });
const toSelection = (v: unknown) => ({ name: str(obj(v).name), value: str(obj(v).value) });

function toPlan(v: unknown): EnhancePlan {
  const o = obj(v);
  return {
    id: num(o.id),
    name: str(o.name),
    orgId: strOrNull(o.orgId),
    resources: arr(o.resources).map(toResource),
    allowances: arr(o.allowances).map(toAllowance),
    selections: arr(o.selections).map(toSelection),
    subscriptionsCount: num(o.subscriptionsCount),
    planType: str(o.planType, 'shared'),
    serverGroupId: strOrNull(o.serverGroupId),
    serverGroupIds: strings(o.serverGroupIds),
    allowServerGroupSelection: o.allowServerGroupSelection === true,
    allowedPhpVersions: strings(o.allowedPhpVersions),
    defaultPhpVersion: strOrNull(o.defaultPhpVersion),
    redisAllowed: o.redisAllowed === true,
    createdAt: strOrNull(o.createdAt),
  };
}

function toSubscription(v: unknown): EnhanceSubscription {
  const o = obj(v);
  return {
    id: num(o.id),
    planId: num(o.planId),
    planName: str(o.planName),
    subscriberId: str(o.subscriberId),
    vendorId: str(o.vendorId),
    status: str(o.status, 'active'),
    suspendedBy: strOrNull(o.suspendedBy),
    friendlyName: strOrNull(o.friendlyName),
    resources: arr(o.resources).map((r) => ({ ...toResource(r), usage: num(obj(r).usage) })),
    allowances: arr(o.allowances).map(toAllowance),
    selections: arr(o.selections).map(toSelection),
    planType: str(o.planType, 'shared'),
    allowedPhpVersions: strings(o.allowedPhpVersions),
    defaultPhpVersion: strOrNull(o.defaultPhpVersion),
    serverGroups: arr(o.serverGroups).map(toServerGroup),
    persistentAppsAllowed: o.persistentAppsAllowed === true,
  };
}

function toWebsiteDomain(v: unknown): EnhanceWebsiteDomain {
  // Tolerate an old-style string domain (spec §7).
  if (typeof v === 'string') return { id: '', domain: v, documentRoot: '', kind: 'primary', cloudflareStatus: null };
  const o = obj(v);
  return {
    id: str(o.id),
    domain: str(o.domain),
    documentRoot: str(o.documentRoot),
    kind: str(o.kind, 'primary'),
    cloudflareStatus: strOrNull(o.cloudflareStatus),
  };
}

function toWebsite(v: unknown): EnhanceWebsite {
  const o = obj(v);
  return {
    id: str(o.id),
    domain: toWebsiteDomain(o.domain),
    aliases: arr(o.aliases).map(toWebsiteDomain),
    subscriptionId: numOrNull(o.subscriptionId),
    planId: numOrNull(o.planId),
    plan: strOrNull(o.plan),
    status: str(o.status, 'active'),
    suspendedBy: strOrNull(o.suspendedBy),
    orgId: str(o.orgId),
    kind: str(o.kind, 'normal'),
    size: num(o.size),
    unixUser: strOrNull(o.unixUser),
    phpVersion: strOrNull(o.phpVersion),
    serverIps: arr(o.serverIps)
      .map((s) => ({ ip: str(obj(s).ip), isPrimary: obj(s).isPrimary === true }))
      .filter((s) => s.ip),
    createdAt: strOrNull(o.createdAt),
  };
}

function toDomainCheck(v: unknown): EnhanceDomainCheck {
  const o = obj(v);
  return { status: str(o.status, typeof v === 'string' ? v : ''), websiteId: strOrNull(o.websiteId) };
}

function toServerGroup(v: unknown): EnhanceServerGroup {
  const o = obj(v);
  return { id: str(o.id), name: str(o.name), serverCount: num(o.serverCount), createdAt: strOrNull(o.createdAt) };
}

function toDomainMapping(v: unknown): EnhanceDomainMapping {
  const o = obj(v);
  return {
    domainId: str(o.domainId ?? o.id),
    websiteId: str(o.websiteId),
    domain: str(o.domain),
    mappingKind: str(o.mappingKind ?? o.kind, 'alias'),
    documentRoot: str(o.documentRoot),
  };
}

function toDnsZone(v: unknown): EnhanceDnsZone {
  const o = obj(v);
  const soa = obj(o.soa);
  return {
    origin: str(o.origin),
    soa: {
      adminEmail: str(soa.adminEmail),
      nameServer: str(soa.nameServer),
      expire: num(soa.expire),
      refresh: num(soa.refresh),
      retry: num(soa.retry),
      ttl: num(soa.ttl),
    },
    records: arr(o.records).map((r) => {
      const x = obj(r);
      return {
        id: str(x.id),
        kind: str(x.kind),
        name: str(x.name),
        value: str(x.value),
        ttl: numOrNull(x.ttl),
        proxy: x.proxy === true,
      };
    }),
  };
}

function toEmail(v: unknown): EnhanceEmail {
  const o = obj(v);
  const quota = asObject(o.quota);
  return {
    address: str(o.address),
    websiteId: strOrNull(o.websiteId),
    mailboxName: strOrNull(o.mailboxName),
    hasMailbox: o.hasMailbox === true,
    aliases: strings(o.aliases),
    forwarders: strings(o.forwarders),
    status: str(o.status, 'active'),
    quota: quota ? { usage: num(quota.usage), total: numOrNull(quota.total) } : null,
    isCatchAll: o.isCatchAll === true,
    createdAt: strOrNull(o.createdAt),
  };
}

function toMysqlDb(v: unknown): EnhanceMysqlDb {
  const o = obj(v);
  return { name: str(o.name), size: num(o.size), createdAt: strOrNull(o.createdAt) };
}

function toMysqlUser(v: unknown): EnhanceMysqlUser {
  const o = obj(v);
  const grants = Object.fromEntries(Object.entries(obj(o.grants)).map(([db, g]) => [db, strings(g)]));
  return { username: str(o.username), accessHosts: strings(o.accessHosts), grants, createdAt: strOrNull(o.createdAt) };
}

const jobStatuses = (o: Record<string, unknown>) => ({
  homeDirStatus: strOrNull(o.homeDirStatus),
  mysqlDbsStatus: strOrNull(o.mysqlDbsStatus),
  emailsStatus: strOrNull(o.emailsStatus),
});

function toBackup(v: unknown): EnhanceBackup {
  const o = obj(v);
  return {
    id: num(o.id),
    startedAt: str(o.startedAt),
    finishedAt: strOrNull(o.finishedAt),
    kind: str(o.kind, 'manual'),
    description: strOrNull(o.description),
    size: numOrNull(o.size),
    ...jobStatuses(o),
  };
}

function toApp(v: unknown): EnhanceApp {
  const o = obj(v);
  return {
    id: str(o.id),
    app: str(o.app),
    path: str(o.path),
    version: strOrNull(o.version),
    defaultWpUserId: numOrNull(o.defaultWpUserId),
    installStatus: strOrNull(o.installStatus),
  };
}
