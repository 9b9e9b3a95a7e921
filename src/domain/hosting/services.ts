import { sql, type Selectable } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import type { HostingServicesTable, HostingServiceStatus } from '../../db/types.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { fetchSize, keysetPage, uuidCursor } from '../../db/paging.ts';
import { hostingClient, type HostingDeps } from './connector.ts';
import { integrationRow } from './integration.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Permission } from '../access/permissions.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';

/**
 * Hosting services (migration 0039): one bought plan for one domain. Every tenant read goes
 * through the actor's organization: `serviceFor` answers another organization's service (or
 * an id that is not a uuid) as 404, the same as one that does not exist.
 */

export type ServiceRow = Selectable<HostingServicesTable>;

export const NO_SUCH_SERVICE = 'No such hosting service.';

export const SERVICE_STATUSES: readonly HostingServiceStatus[] = [
  'provisioning',
  'active',
  'suspended',
  'cancelled',
  'failed',
];

/** The organization's service `id` for an actor holding `permission` (hosting_view or hosting_manage); 404 otherwise. */
export async function serviceFor(
  db: DbOrTx,
  actor: Actor,
  id: string,
  permission: Extract<Permission, 'hosting_view' | 'hosting_manage'>,
): Promise<ServiceRow> {
  const orgId = authorize(actor, permission);
  if (typeof id !== 'string' || !isUuid(id)) throw new NotFoundError(NO_SUCH_SERVICE);
  const row = await db
    .selectFrom('hosting_services')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(NO_SUCH_SERVICE);
  return row;
}

/**
 * The Enhance ids a service's site calls need, once it has a website: a service still
 * provisioning, failed or cancelled has none to work on (409 from the caller's point of view).
 */
export function siteOf(row: ServiceRow): { orgId: string; websiteId: string } | null {
  return row.enhance_org_id && row.enhance_website_id && (row.status === 'active' || row.status === 'suspended')
    ? { orgId: row.enhance_org_id, websiteId: row.enhance_website_id }
    : null;
}

// ---------------------------------------------------------------------------------------------
// Lists and views (helper A): what the customer's pages and the JSON API show of a service.

/** What a plan contributes to a service's view. */
export interface ServicePlan {
  id: string;
  name: string;
  resources: { name: string; total: number | null }[];
}

export interface ServiceView {
  id: string;
  domain: string;
  status: HostingServiceStatus;
  plan: { id: string; name: string };
  monthlyPrice: bigint;
  serverIps: string[];
  primaryIp: string | null;
  phpVersion: string | null;
  periodStart: Date | null;
  /** The next renewal (null until the service is active). */
  periodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  cancelledAt: Date | null;
  suspendedAt: Date | null;
  suspendedBy: 'dunning' | 'staff' | null;
  overdueSince: Date | null;
  /** Customer-safe: why the purchase failed. */
  failure: string | null;
  /** The purchase could not be completed and is being undone (the refund follows). */
  undoing: boolean;
  createdAt: Date;
  limits: ServicePlan['resources'];
}

export const STATUS_LABELS: Record<HostingServiceStatus, string> = {
  provisioning: 'Setting up',
  active: 'Active',
  suspended: 'Suspended',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

export function serviceView(row: ServiceRow, plan: ServicePlan): ServiceView {
  const ips = (row.server_ips ?? []) as { ip: string; isPrimary: boolean }[];
  return {
    id: row.id,
    domain: row.domain,
    status: row.status,
    plan: { id: plan.id, name: plan.name },
    monthlyPrice: row.monthly_price,
    serverIps: ips.map((s) => s.ip),
    primaryIp: ips.find((s) => s.isPrimary)?.ip ?? ips[0]?.ip ?? null,
    phpVersion: row.php_version,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    cancelledAt: row.cancelled_at,
    suspendedAt: row.suspended_at,
    suspendedBy: row.suspended_by,
    overdueSince: row.overdue_since,
    failure: row.failure,
    undoing: row.saga_state === 'compensating',
    createdAt: row.created_at,
    limits: plan.resources,
  };
}

/** The plans of these services, by id. */
export async function plansOf(db: DbOrTx, planIds: string[]): Promise<Map<string, ServicePlan>> {
  if (!planIds.length) return new Map();
  const rows = await db
    .selectFrom('hosting_plans')
    .select(['id', 'name', 'resources'])
    .where('id', 'in', [...new Set(planIds)])
    .execute();
  return new Map(rows.map((r) => [r.id, { id: r.id, name: r.name, resources: r.resources }]));
}

/** One service as its view (hosting_view; foreign → 404). */
export async function getService(db: DbOrTx, actor: Actor, id: string): Promise<ServiceView> {
  const row = await serviceFor(db, actor, id, 'hosting_view');
  return serviceView(row, (await plansOf(db, [row.plan_id])).get(row.plan_id)!);
}

/** The organization's services, newest first, one keyset page (hosting_view). */
export async function listServices(
  db: DbOrTx,
  actor: Actor,
  opts: { status?: string | null; limit: number; cursor?: string | null },
): Promise<{ items: ServiceView[]; nextCursor: string | null }> {
  const orgId = authorize(actor, 'hosting_view');
  const status = opts.status || null;
  if (status && !SERVICE_STATUSES.includes(status as HostingServiceStatus))
    throw new ValidationError({ status: `Choose one of: ${SERVICE_STATUSES.join(', ')}.` });
  const cursor = uuidCursor({ limit: opts.limit, cursor: opts.cursor });
  let q = db.selectFrom('hosting_services').selectAll().where('organization_id', '=', orgId);
  if (status) q = q.where('status', '=', status as HostingServiceStatus);
  if (cursor)
    q = q.where(
      sql<boolean>`(created_at, id) < (select created_at, id from hosting_services where id = ${cursor} and organization_id = ${orgId})`,
    );
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(fetchSize({ limit: opts.limit })!)
    .execute();
  const page = keysetPage(rows, opts.limit, (r) => r.id);
  const plans = await plansOf(
    db,
    page.rows.map((r) => r.plan_id),
  );
  return { items: page.rows.map((r) => serviceView(r, plans.get(r.plan_id)!)), nextCursor: page.nextCursor };
}

export interface UsageLine {
  name: string;
  label: string;
  used: number;
  /** null: unlimited. */
  total: number | null;
  bytes: boolean;
}

const USAGE: { name: string; label: string; bytes: boolean }[] = [
  { name: 'diskspace', label: 'Disk space', bytes: true },
  { name: 'transfer', label: 'Transfer this month', bytes: true },
  { name: 'mailboxes', label: 'Mailboxes', bytes: false },
  { name: 'mysqlDbs', label: 'Databases', bytes: false },
];

/**
 * Usage against the plan's limits (disk, transfer, mailboxes, databases) from the panel's
 * subscription. The panel failing is not the page failing: `unavailable` says so.
 */
export async function serviceUsage(
  deps: HostingDeps,
  row: ServiceRow,
  plan: ServicePlan,
): Promise<{ lines: UsageLine[]; unavailable: string | null }> {
  const limits = new Map(plan.resources.map((r) => [r.name, r.total]));
  const base = () => USAGE.map((u) => ({ ...u, used: 0, total: limits.get(u.name) ?? null }));
  if (!row.enhance_org_id || row.enhance_subscription_id === null || !siteOf(row))
    return { lines: base(), unavailable: 'Usage shows once the website is active.' };
  try {
    const integration = await integrationRow(deps.db);
    if (!integration) throw new Error('no integration');
    const sub = await hostingClient(deps, integration).getSubscription(row.enhance_org_id, row.enhance_subscription_id);
    const used = new Map(sub.resources.map((r) => [r.name, r]));
    return {
      lines: USAGE.map((u) => ({
        ...u,
        used: used.get(u.name)?.usage ?? 0,
        total: used.get(u.name)?.total ?? limits.get(u.name) ?? null,
      })),
      unavailable: null,
    };
  } catch {
    // The page says usage is unavailable; staff see panel trouble in the health check.
    return { lines: base(), unavailable: 'Usage unavailable right now; try again in a few minutes.' };
  }
}

/** The purchase's progress while provisioning: forward steps done of six, for the live status. */
export async function provisioningProgress(db: DbOrTx, serviceId: string): Promise<{ done: number; total: number }> {
  const rows = await db.selectFrom('hosting_saga_steps').select('step').where('service_id', '=', serviceId).execute();
  const forward = ['customer', 'login', 'member', 'subscription', 'website', 'activated'];
  return { done: rows.filter((r) => forward.includes(r.step)).length, total: forward.length };
}
