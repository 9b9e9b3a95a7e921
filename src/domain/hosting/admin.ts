import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { likePattern } from '../../db/like.ts';
import { offsetOf, pageCount } from '../../db/paging.ts';
import type { HostingSagaState, HostingSagaStep, HostingServiceStatus } from '../../db/types.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { describeActivity } from '../activity/describe.ts';
import { NO_SUCH_SERVICE, SERVICE_STATUSES } from './services.ts';

/**
 * Staff's view of every organization's hosting services (`/admin/hosting/services`): the list
 * with filters (status, saga state, organization name, domain, plan) on numbered pages, and one
 * service with its panel ids, the purchase saga's journal, its charges (with refunds) and what
 * the activity log says about it. Platform admins only; the page asks again. Staff's actions on
 * a service are in admin-actions.ts.
 */

export const SAGA_STATES: readonly HostingSagaState[] = ['running', 'done', 'compensating', 'compensated'];

export interface AdminHostingServiceView {
  id: string;
  organizationId: string;
  organizationName: string;
  domain: string;
  planId: string;
  planName: string;
  status: HostingServiceStatus;
  monthlyPrice: bigint;
  serverIps: { ip: string; isPrimary: boolean }[];
  phpVersion: string | null;
  periodStart: Date | null;
  /** The next renewal. */
  periodEnd: Date | null;
  overdueSince: Date | null;
  suspendedAt: Date | null;
  suspendedBy: 'dunning' | 'staff' | null;
  cancelAtPeriodEnd: boolean;
  cancelledAt: Date | null;
  cancelReason: string | null;
  /** What the customer was told when the purchase failed. */
  failure: string | null;
  sagaState: HostingSagaState;
  sagaAttempts: number;
  /** When a saga waiting after a failure is tried next (saga.ts: not a lease; a live worker holds its lock). */
  sagaClaimedUntil: Date | null;
  /** The last saga error in staff's words (may name the panel). */
  sagaError: string | null;
  masterOrgId: string;
  enhanceOrgId: string | null;
  enhanceSubscriptionId: number | null;
  enhanceWebsiteId: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AdminHostingFilters {
  status?: string;
  saga?: string;
  /** Part of the organization's name. */
  organization?: string;
  /** Part of the domain. */
  q?: string;
  plan?: string;
}

const filterSchema = z
  .object({
    status: z.enum(SERVICE_STATUSES as [HostingServiceStatus, ...HostingServiceStatus[]], {
      error: 'Choose a status from the list.',
    }),
    saga: z.enum(SAGA_STATES as [HostingSagaState, ...HostingSagaState[]], {
      error: 'Choose a saga state from the list.',
    }),
    organization: z.string().trim().max(200),
    q: z.string().trim().max(253),
    plan: z.string().refine(isUuid, 'Choose a plan from the list.'),
  })
  .partial();

export const ADMIN_HOSTING_SERVICES_PER_PAGE = 50;

function rows(db: DbOrTx) {
  return db
    .selectFrom('hosting_services as s')
    .innerJoin('organizations as o', 'o.id', 's.organization_id')
    .innerJoin('hosting_plans as p', 'p.id', 's.plan_id')
    .leftJoin('users as u', 'u.id', 's.created_by')
    .selectAll('s')
    .select(['o.name as organization_name', 'p.name as plan_name', 'u.email as created_by_email']);
}

type Row = Awaited<ReturnType<ReturnType<typeof rows>['executeTakeFirstOrThrow']>>;

function toView(r: Row): AdminHostingServiceView {
  return {
    id: r.id,
    organizationId: r.organization_id,
    organizationName: r.organization_name,
    domain: r.domain,
    planId: r.plan_id,
    planName: r.plan_name,
    status: r.status,
    monthlyPrice: r.monthly_price,
    serverIps: Array.isArray(r.server_ips) ? r.server_ips : [],
    phpVersion: r.php_version,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    overdueSince: r.overdue_since,
    suspendedAt: r.suspended_at,
    suspendedBy: r.suspended_by,
    cancelAtPeriodEnd: r.cancel_at_period_end,
    cancelledAt: r.cancelled_at,
    cancelReason: r.cancel_reason,
    failure: r.failure,
    sagaState: r.saga_state,
    sagaAttempts: r.saga_attempts,
    sagaClaimedUntil: r.saga_claimed_until,
    sagaError: r.saga_error,
    masterOrgId: r.master_org_id,
    enhanceOrgId: r.enhance_org_id,
    enhanceSubscriptionId: r.enhance_subscription_id,
    enhanceWebsiteId: r.enhance_website_id,
    createdBy: r.created_by_email,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** One numbered page of every organization's hosting services, newest first. Bad filters: 422 per field. */
export async function adminListHostingServices(
  deps: { db: DbOrTx },
  actor: Actor,
  filters: AdminHostingFilters,
  page: number,
): Promise<{ items: AdminHostingServiceView[]; total: number; page: number; pages: number }> {
  requirePlatformAdmin(actor);
  const present = Object.fromEntries(
    Object.entries(filters).filter(([, v]) => typeof v === 'string' && v.trim() !== ''),
  );
  const f = parseInput(filterSchema, present);
  let q = rows(deps.db);
  if (f.status) q = q.where('s.status', '=', f.status);
  if (f.saga) q = q.where('s.saga_state', '=', f.saga);
  if (f.plan) q = q.where('s.plan_id', '=', f.plan);
  if (f.organization) q = q.where('o.name', 'ilike', likePattern(f.organization));
  if (f.q) q = q.where('s.domain', 'like', likePattern(f.q.toLowerCase()));
  const { count } = await q
    .clearSelect()
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  const { limit, offset } = offsetOf(page, ADMIN_HOSTING_SERVICES_PER_PAGE);
  const found = await q.orderBy('s.created_at', 'desc').orderBy('s.id', 'desc').limit(limit).offset(offset).execute();
  return {
    items: found.map(toView),
    total: Number(count),
    page,
    pages: pageCount(count, ADMIN_HOSTING_SERVICES_PER_PAGE),
  };
}

/** Any organization's service; an unknown or malformed id is 404. */
export async function adminGetHostingService(
  deps: { db: DbOrTx },
  actor: Actor,
  id: string,
): Promise<AdminHostingServiceView> {
  requirePlatformAdmin(actor);
  if (typeof id !== 'string' || !isUuid(id)) throw new NotFoundError(NO_SUCH_SERVICE);
  const row = await rows(deps.db).where('s.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(NO_SUCH_SERVICE);
  return toView(row);
}

const STEP_ORDER: readonly HostingSagaStep[] = [
  'charge',
  'customer',
  'login',
  'member',
  'subscription',
  'website',
  'activated',
  'undo_website',
  'undo_subscription',
  'refund',
];

export interface SagaStepView {
  step: HostingSagaStep;
  detail: Record<string, unknown>;
  doneAt: Date;
}

export interface ChargeView {
  id: string;
  kind: 'purchase' | 'renewal';
  periodStart: Date;
  periodEnd: Date;
  amount: bigint;
  refunded: bigint;
  ledgerTransactionId: string | null;
  createdAt: Date;
}

export interface HostingCustomerView {
  enhanceOrgId: string;
  masterOrgId: string;
  loginId: string | null;
  memberId: string | null;
}

/** What the details page shows beside the service: the saga's journal, the charges, the organization's panel ids and the log. */
export async function adminHostingServiceRecords(
  deps: { db: DbOrTx },
  actor: Actor,
  service: Pick<AdminHostingServiceView, 'id' | 'organizationId'>,
) {
  requirePlatformAdmin(actor);
  const db = deps.db;
  const [steps, charges, customer, activity, siblings] = await Promise.all([
    db
      .selectFrom('hosting_saga_steps')
      .select(['step', 'detail', 'done_at'])
      .where('service_id', '=', service.id)
      .orderBy('done_at')
      .orderBy('step')
      .execute(),
    db
      .selectFrom('hosting_charges')
      .selectAll()
      .where('service_id', '=', service.id)
      .orderBy('period_start', 'desc')
      .execute(),
    db
      .selectFrom('hosting_customers')
      .selectAll()
      .where('organization_id', '=', service.organizationId)
      .executeTakeFirst(),
    db
      .selectFrom('activity_log as a')
      .leftJoin('users as u', 'u.id', 'a.actor_user_id')
      .select([
        'a.id',
        'a.occurred_at',
        'a.action',
        'a.target_type',
        'a.target_id',
        'a.details',
        'u.email as actor_email',
      ])
      .where('a.target_id', '=', service.id)
      .orderBy('a.occurred_at', 'desc')
      .orderBy('a.id', 'desc')
      .limit(100)
      .execute(),
    db
      .selectFrom('hosting_services')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('organization_id', '=', service.organizationId)
      .where('status', 'in', ['active', 'suspended'])
      .executeTakeFirstOrThrow(),
  ]);
  return {
    // In the saga's order where the clock gives two steps the same instant.
    steps: steps
      .map((s): SagaStepView => ({ step: s.step, detail: s.detail ?? {}, doneAt: s.done_at }))
      .sort(
        (a, b) => a.doneAt.getTime() - b.doneAt.getTime() || STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step),
      ),
    charges: charges.map((c): ChargeView => ({
      id: c.id,
      kind: c.kind,
      periodStart: c.period_start,
      periodEnd: c.period_end,
      amount: c.amount,
      refunded: c.refunded,
      ledgerTransactionId: c.ledger_transaction_id,
      createdAt: c.created_at,
    })),
    customer: customer
      ? ({
          enhanceOrgId: customer.enhance_org_id,
          masterOrgId: customer.master_org_id,
          loginId: customer.login_id,
          memberId: customer.member_id,
        } satisfies HostingCustomerView)
      : null,
    activity: activity.map((a) => ({ ...describeActivity(a), actorEmail: a.actor_email })),
    /** How many of the organization's services have a website to sync. */
    syncable: Number(siblings.count),
  };
}
