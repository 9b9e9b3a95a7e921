import type { Hono } from 'hono';
import { fail, invalid, notFound, page, type Call, routesAt } from './http.ts';
import { usage } from './plans.ts';
import { emptyExtras, nowIso, uuid, type EmuWebsite, type EnhanceEmulatorState } from './state.ts';

/** Spec §4.3: domain check, websites (create, read, list, PATCH with enum checks, soft/forced delete). */

const STATUSES = ['active', 'disabled', 'deleted'];
const PHP = /^php(5[2-6]|7[0-4]|8[0-5])$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function websiteRoutes(app: Hono, state: EnhanceEmulatorState): void {
  const r = routesAt(app, state, '/api');

  r('post', '/orgs/:org/domains/check', (call) => {
    const org = call.org(call.param('org'));
    const domain = typeof call.body.domain === 'string' ? call.body.domain.trim().toLowerCase() : '';
    if (!domain) throw invalid('domain');
    return { body: checkDomain(state, org.id, domain) };
  });

  r('get', '/orgs/:org/websites', (call) => {
    const org = call.org(call.param('org'));
    const showDeleted = call.query('showDeleted') === 'true';
    const infinite = call.query('recursion') === 'infinite';
    const sites = [...state.websites.values()].filter(
      (w) =>
        (w.orgId === org.id || (infinite && isBelow(state, w.orgId, org.id))) &&
        (showDeleted || w.status !== 'deleted'),
    );
    return {
      body: page(
        state,
        call,
        sites.map((w) => websiteJson(state, w)),
      ),
    };
  });

  r('post', '/orgs/:org/websites', (call) => {
    const org = call.org(call.param('org'));
    const { domain: rawDomain, subscriptionId, serverGroupId, phpVersion } = call.body;
    const domain = typeof rawDomain === 'string' ? rawDomain.trim().toLowerCase() : '';
    if (!domain) throw invalid('domain');
    if (typeof subscriptionId !== 'number' || !Number.isInteger(subscriptionId)) throw invalid('subscriptionId');
    const sub = state.subscriptions.get(subscriptionId);
    if (!sub || sub.subscriberId !== org.id || sub.status === 'deleted') throw notFound('subscription');
    const plan = state.plans.get(sub.planId)!;
    if (phpVersion !== undefined && (typeof phpVersion !== 'string' || !PHP.test(phpVersion)))
      throw invalid('phpVersion');
    let groupId = plan.serverGroupId ?? [...state.serverGroups.keys()][0]!;
    if (serverGroupId !== undefined) {
      if (typeof serverGroupId !== 'string' || !state.serverGroups.has(serverGroupId)) throw invalid('serverGroupId');
      groupId = serverGroupId;
    }
    const status = checkDomain(state, org.id, domain).status;
    if (status !== 'notInUse') throw fail(403, 'forbidden', 'domain', 'The domain is not allowed or is already in use');
    const limit = plan.resources.find((x) => x.name === 'websites')?.total;
    if (limit !== undefined && limit !== null && usage(state, sub.id, 'websites') >= limit)
      throw fail(403, 'resource_limit', 'websites', 'The subscription has no websites left');
    const group = state.serverGroups.get(groupId)!;
    const id = uuid();
    const site: EmuWebsite = {
      id,
      orgId: org.id,
      subscriptionId: sub.id,
      domains: [{ id: uuid(), domain, documentRoot: 'public_html', kind: 'primary' }],
      status: 'active',
      isSuspended: false,
      suspendedBy: null,
      phpVersion: typeof phpVersion === 'string' ? phpVersion : plan.defaultPhpVersion,
      serverGroupId: groupId,
      serverIps: group.ips.map((ip, n) => ({ ip, isPrimary: n === 0 })),
      unixUser: `${domain.replace(/[^a-z0-9]/g, '').slice(0, 12)}${id.slice(0, 4)}`,
      createdAt: nowIso(),
      extras: emptyExtras(),
    };
    state.websites.set(id, site);
    return { status: 201, body: { id } };
  });

  r('get', '/orgs/:org/websites/:site', (call) => ({ body: websiteJson(state, website(state, call)) }));

  r('patch', '/orgs/:org/websites/:site', (call) => {
    const site = website(state, call);
    const { status, isSuspended, phpVersion, subscriptionId } = call.body;
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.includes(status)))
      throw invalid('status', `Unknown website status: ${String(status)}`);
    if (isSuspended !== undefined && typeof isSuspended !== 'boolean') throw invalid('isSuspended');
    if (phpVersion !== undefined && (typeof phpVersion !== 'string' || !PHP.test(phpVersion)))
      throw invalid('phpVersion');
    if (subscriptionId !== undefined && !state.subscriptions.has(Number(subscriptionId)))
      throw invalid('subscriptionId');
    if (typeof status === 'string') site.status = status as EmuWebsite['status'];
    if (typeof isSuspended === 'boolean') {
      site.isSuspended = isSuspended;
      site.suspendedBy = isSuspended ? call.actor : null;
    }
    if (typeof phpVersion === 'string') site.phpVersion = phpVersion;
    if (subscriptionId !== undefined) site.subscriptionId = Number(subscriptionId);
    return { status: 204 };
  });

  r('delete', '/orgs/:org/websites/:site', (call) => {
    const site = website(state, call);
    if (call.query('force') === 'true') {
      call.requireMaster();
      state.websites.delete(site.id);
    } else site.status = 'deleted';
    return { status: 204 };
  });
}

function isBelow(state: EnhanceEmulatorState, orgId: string, ancestor: string): boolean {
  for (let at = state.orgs.get(orgId); at; at = at.parentId ? state.orgs.get(at.parentId) : undefined)
    if (at.id === ancestor) return true;
  return false;
}

/** A website in the path's org (or below it, for the MO); soft-deleted ones are still found. */
export function website(state: EnhanceEmulatorState, call: Call): EmuWebsite {
  const org = call.org(call.param('org'));
  const site = state.websites.get(call.param('site'));
  if (!site || !isBelow(state, site.orgId, org.id)) throw notFound('website');
  return site;
}

/** The five DomainInUseStatus states (spec §3). A live site wins over a soft-deleted one. */
export function checkDomain(
  state: EnhanceEmulatorState,
  orgId: string,
  domain: string,
): { status: string; websiteId?: string } {
  const prohibited = state.options.prohibitedDomains;
  if (!HOSTNAME.test(domain) || prohibited.some((p) => domain === p || domain.endsWith(`.${p}`)))
    return { status: 'prohibited' };
  const holders = [...state.websites.values()].filter((w) => w.domains.some((d) => d.domain === domain));
  const live = holders.find((w) => w.status !== 'deleted');
  if (live) return { status: live.orgId === orgId ? 'inUseCurrentOrg' : 'inUseAnotherOrg', websiteId: live.id };
  const deleted = holders[0];
  if (deleted) return { status: 'inUseDeletedSite', websiteId: deleted.id };
  return { status: 'notInUse' };
}

export function websiteJson(state: EnhanceEmulatorState, w: EmuWebsite) {
  const sub = state.subscriptions.get(w.subscriptionId);
  const plan = sub && state.plans.get(sub.planId);
  const org = state.orgs.get(w.orgId);
  const group = state.serverGroups.get(w.serverGroupId);
  const domainJson = (d: EmuWebsite['domains'][number]) => ({ ...d, cloudflareStatus: 'Disconnected' });
  const primary = w.domains.find((d) => d.kind === 'primary') ?? w.domains[0]!;
  return {
    id: w.id,
    domain: domainJson(primary),
    aliases: w.domains.filter((d) => d.kind === 'alias').map(domainJson),
    subdomains: w.domains.filter((d) => d.kind === 'subdomain').map(domainJson),
    subscriptionId: w.subscriptionId,
    planId: plan?.id ?? null,
    plan: plan?.name ?? null,
    status: w.status,
    suspendedBy: w.suspendedBy,
    colorCode: '#10b981',
    tags: [],
    size: 0,
    orgId: w.orgId,
    org: org?.name ?? null,
    kind: 'normal',
    unixUser: w.unixUser,
    serverIps: w.serverIps,
    phpVersion: w.phpVersion,
    createdAt: w.createdAt,
    appServerName: group?.name ?? null,
    canUse: {
      ftp: true,
      fileManager: true,
      phpVersions: true,
      redis: plan?.redisAllowed ?? false,
      modSec: true,
      backup: true,
      mysqlKind: 'mysql80',
      persistentApps: false,
    },
  };
}
