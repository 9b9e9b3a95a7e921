import type { Hono } from 'hono';
import { fail, invalid, notFound, page, type Call, routesAt } from './http.ts';
import { nowIso, type EmuSubscription, type EnhanceEmulatorState } from './state.ts';

/** Spec §4.2: plans (MO only, integer ids), subscriptions (one per customer and plan), server groups. */

export function planRoutes(app: Hono, state: EnhanceEmulatorState): void {
  const r = routesAt(app, state, '/api');

  r('get', '/orgs/:org/plans', (call) => {
    call.requireMaster();
    const org = call.org(call.param('org'));
    const plans = [...state.plans.values()].filter((p) => p.orgId === org.id);
    return {
      body: page(
        state,
        call,
        plans.map((p) => planJson(state, p.id)),
      ),
    };
  });

  r('get', '/servers/groups', (call) => {
    call.requireMaster();
    const groups = [...state.serverGroups.values()].map((g) => ({
      id: g.id,
      name: g.name,
      serverCount: g.ips.length,
      createdAt: g.createdAt,
    }));
    return { body: { items: groups } };
  });

  r('get', '/orgs/:org/customers/:customer/subscriptions', (call) => {
    const customer = customerOf(state, call);
    const subs = [...state.subscriptions.values()].filter((s) => s.subscriberId === customer.id);
    return {
      body: page(
        state,
        call,
        subs.map((s) => subscriptionJson(state, s)),
      ),
    };
  });

  r('post', '/orgs/:org/customers/:customer/subscriptions', (call) => {
    call.requireMaster();
    const customer = customerOf(state, call);
    const planId = call.body.planId;
    if (typeof planId !== 'number' || !Number.isInteger(planId)) throw invalid('planId');
    const plan = state.plans.get(planId);
    if (!plan || plan.orgId !== customer.parentId) throw notFound('plan');
    // Soft-deleted ones count too (spec §4.2, inferred from SkyPanel).
    if ([...state.subscriptions.values()].some((s) => s.subscriberId === customer.id && s.planId === planId))
      throw fail(409, 'conflict', 'subscription', 'The customer already has a subscription to this plan');
    const friendlyName = typeof call.body.friendlyName === 'string' ? call.body.friendlyName : null;
    const sub: EmuSubscription = {
      id: ++state.seq.subscription,
      planId,
      subscriberId: customer.id,
      vendorId: customer.parentId!,
      status: 'active',
      suspendedBy: null,
      friendlyName,
      createdAt: nowIso(),
    };
    state.subscriptions.set(sub.id, sub);
    return { status: 201, body: { id: sub.id } };
  });

  r('get', '/orgs/:org/subscriptions/:id', (call) => ({ body: subscriptionJson(state, subscription(state, call)) }));

  r('patch', '/orgs/:org/subscriptions/:id', (call) => {
    const sub = subscription(state, call);
    const { status, isSuspended, planId, friendlyName } = call.body;
    if (status !== undefined && status !== 'active' && status !== 'deleted') throw invalid('status');
    if (isSuspended !== undefined && typeof isSuspended !== 'boolean') throw invalid('isSuspended');
    if (planId !== undefined && (typeof planId !== 'number' || !state.plans.has(planId))) throw invalid('planId');
    if (friendlyName !== undefined && typeof friendlyName !== 'string') throw invalid('friendlyName');
    if (status) sub.status = status;
    if (isSuspended !== undefined) sub.suspendedBy = isSuspended ? call.actor : null;
    if (typeof planId === 'number') sub.planId = planId;
    if (typeof friendlyName === 'string') sub.friendlyName = friendlyName;
    return { status: 204 };
  });

  r('delete', '/orgs/:org/subscriptions/:id', (call) => {
    const sub = subscription(state, call);
    if (call.query('force') === 'true') {
      call.requireMaster();
      state.subscriptions.delete(sub.id);
    } else sub.status = 'deleted';
    return { status: 204 };
  });
}

/** The customer org below the MO in the path. */
function customerOf(state: EnhanceEmulatorState, call: Call) {
  const vendor = call.org(call.param('org'));
  const customer = state.orgs.get(call.param('customer'));
  if (!customer || customer.parentId !== vendor.id) throw notFound('customer');
  return customer;
}

/** A subscription seen from its subscriber or its vendor. */
function subscription(state: EnhanceEmulatorState, call: Call): EmuSubscription {
  const org = call.org(call.param('org'));
  const sub = state.subscriptions.get(Number(call.param('id')));
  if (!sub || (sub.subscriberId !== org.id && sub.vendorId !== org.id)) throw notFound('subscription');
  return sub;
}

export function planJson(state: EnhanceEmulatorState, id: number) {
  const p = state.plans.get(id)!;
  return {
    id: p.id,
    name: p.name,
    orgId: p.orgId,
    resources: p.resources.map((x) => (x.total === null ? { name: x.name } : { name: x.name, total: x.total })),
    allowances: p.allowances,
    selections: p.selections,
    subscriptionsCount: [...state.subscriptions.values()].filter((s) => s.planId === p.id && s.status === 'active')
      .length,
    serverGroupId: p.serverGroupId,
    serverGroupIds: p.serverGroupIds,
    allowServerGroupSelection: p.allowServerGroupSelection,
    createdAt: p.createdAt,
    planType: p.planType,
    cgroupLimits: null,
    fsQuotaLimit: null,
    allowedPhpVersions: p.allowedPhpVersions,
    defaultPhpVersion: p.defaultPhpVersion,
    redisAllowed: p.redisAllowed,
    preinstallWordpressTheme: false,
    persistentAppsAllowed: p.persistentAppsAllowed,
  };
}

/** How much of a resource a subscription uses now. */
export function usage(state: EnhanceEmulatorState, subscriptionId: number, resource: string): number {
  const sites = [...state.websites.values()].filter(
    (w) => w.subscriptionId === subscriptionId && w.status !== 'deleted',
  );
  switch (resource) {
    case 'websites':
      return sites.length;
    case 'mailboxes':
      return sites.reduce((n, w) => n + [...w.extras.emails.values()].filter((e) => e.hasMailbox === true).length, 0);
    case 'mysqlDbs':
      return sites.reduce((n, w) => n + w.extras.mysqlDbs.size, 0);
    default:
      return 0;
  }
}

function subscriptionJson(state: EnhanceEmulatorState, s: EmuSubscription) {
  const p = state.plans.get(s.planId);
  return {
    id: s.id,
    planId: s.planId,
    planName: p?.name ?? '',
    subscriberId: s.subscriberId,
    vendorId: s.vendorId,
    status: s.status,
    suspendedBy: s.suspendedBy,
    resources: (p?.resources ?? []).map((x) => ({
      name: x.name,
      ...(x.total === null ? {} : { total: x.total }),
      usage: usage(state, s.id, x.name),
    })),
    allowances: p?.allowances ?? [],
    selections: p?.selections ?? [],
    dedicatedServers: null,
    planType: p?.planType ?? 'shared',
    allowedPhpVersions: p?.allowedPhpVersions ?? [],
    defaultPhpVersion: p?.defaultPhpVersion ?? null,
    redisAllowed: p?.redisAllowed ?? false,
    serverGroups: (p?.serverGroupIds ?? [])
      .map((id) => state.serverGroups.get(id))
      .filter((g) => g !== undefined)
      .map((g) => ({ id: g.id, name: g.name, serverCount: g.ips.length, createdAt: g.createdAt })),
    preinstallWordpressTheme: false,
    friendlyName: s.friendlyName ?? p?.name ?? '',
    persistentAppsAllowed: p?.persistentAppsAllowed ?? false,
  };
}
