import { sql } from 'kysely';
import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { offsetOf, pageCount } from '../../db/paging.ts';
import { likePattern } from '../../db/like.ts';
import type { ServerStatus } from '../../db/types.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { performAction, type ActionResult, type ServerActionInput } from './actions.ts';
import { removeServer } from './delete.ts';
import { serverById } from './find.ts';
import { SERVER_STATUSES } from './status.ts';
import { serverRows, toActionView, toServerView, type ActionView, type ServerView } from './view.ts';

/**
 * Staff's view of every server across organizations (`/admin/servers`), their power actions
 * and delete (with a reason), and the reconciliation's drift findings. Platform admins only.
 */

export interface AdminServerView extends ServerView {
  organizationName: string;
  providerId: string;
  providerName: string;
  providerInstanceId: string | null;
  deletedReason: string | null;
  createdBy: string | null;
}

export interface AdminServerFilters {
  organizationId?: string;
  createdBy?: string;
  status?: string;
  region?: string;
  planId?: string;
  providerId?: string;
  q?: string;
}

const id = z.string().refine(isUuid, 'Not a valid id.');
const filterSchema = z.object({
  organizationId: id.optional(),
  createdBy: id.optional(),
  status: z.enum(SERVER_STATUSES, { error: 'Choose a status from the list.' }).optional(),
  region: z.string().trim().max(64).optional(),
  planId: id.optional(),
  providerId: id.optional(),
  q: z.string().trim().max(100).optional(),
});

export const ADMIN_SERVERS_PER_PAGE = 50;

function adminRows(db: DbOrTx) {
  return serverRows(db)
    .innerJoin('organizations as o', 'o.id', 's.organization_id')
    .innerJoin('cloud_providers as cp', 'cp.id', 's.provider_id')
    .select(['o.name as organization_name', 'cp.name as provider_name']);
}

function toAdminView(
  row: Awaited<ReturnType<ReturnType<typeof adminRows>['executeTakeFirstOrThrow']>>,
): AdminServerView {
  return {
    ...toServerView(row),
    organizationName: row.organization_name,
    providerId: row.provider_id,
    providerName: row.provider_name,
    providerInstanceId: row.provider_instance_id,
    deletedReason: row.deleted_reason,
    createdBy: row.created_by,
  };
}

/** One numbered page of servers, newest first (deleted ones only when the status filter asks). */
export async function adminListServers(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  filters: AdminServerFilters,
  page: number,
): Promise<{ items: AdminServerView[]; total: number; page: number; pages: number }> {
  requirePlatformAdmin(actor);
  const present = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== '' && v !== undefined));
  const f = parseInput(filterSchema, present);
  let q = adminRows(deps.db);
  q = f.status ? q.where('s.status', '=', f.status as ServerStatus) : q.where('s.status', '!=', 'deleted');
  if (f.organizationId) q = q.where('s.organization_id', '=', f.organizationId);
  if (f.createdBy) q = q.where('s.created_by', '=', f.createdBy);
  if (f.region) q = q.where('s.region', '=', f.region);
  if (f.planId) q = q.where('s.plan_id', '=', f.planId);
  if (f.providerId) q = q.where('s.provider_id', '=', f.providerId);
  if (f.q) {
    const pattern = likePattern(f.q);
    q = q.where((eb) =>
      eb.or([
        eb('s.label', 'ilike', pattern),
        eb('o.name', 'ilike', pattern),
        eb('s.provider_instance_id', '=', f.q!),
        eb(sql<string>`array_to_string(s.ipv4, ' ')`, 'like', pattern),
      ]),
    );
  }
  const { count } = await q
    .clearSelect()
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  const { limit, offset } = offsetOf(page, ADMIN_SERVERS_PER_PAGE);
  const rows = await q.orderBy('s.created_at', 'desc').orderBy('s.id', 'desc').limit(limit).offset(offset).execute();
  return { items: rows.map(toAdminView), total: Number(count), page, pages: pageCount(count, ADMIN_SERVERS_PER_PAGE) };
}

export async function adminGetServer(deps: Pick<Deps, 'db'>, actor: Actor, serverId: string): Promise<AdminServerView> {
  requirePlatformAdmin(actor);
  const server = await serverById(deps.db, serverId);
  return toAdminView(await adminRows(deps.db).where('s.id', '=', server.id).executeTakeFirstOrThrow());
}

export interface AdminActionView extends ActionView {
  /** The provider's precise words when it refused (staff only; customers read `error`). */
  providerError: string | null;
  requestedBy: string | null;
  details: Record<string, unknown>;
}

/** A server's actions with what the provider really said, newest first. */
export async function adminServerActions(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  serverId: string,
  opts: { limit?: number } = {},
): Promise<AdminActionView[]> {
  requirePlatformAdmin(actor);
  const server = await serverById(deps.db, serverId);
  const rows = await deps.db
    .selectFrom('server_actions as a')
    .leftJoin('users as u', 'u.id', 'a.requested_by')
    .selectAll('a')
    .select('u.email as requested_by_email')
    .where('a.server_id', '=', server.id)
    .orderBy('a.created_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(Math.min(Math.max(opts.limit ?? 100, 1), 500))
    .execute();
  return rows.map((r) => {
    const { provider_error: providerError, ...details } = r.details;
    return {
      ...toActionView(r),
      providerError: typeof providerError === 'string' ? providerError : null,
      requestedBy: r.requested_by_email,
      details,
    };
  });
}

/** Power actions (and the rest of runAction's) on any organization's server; the entry names the organization. */
export async function adminRunAction(
  deps: Deps,
  actor: Actor,
  serverId: string,
  action: ServerActionInput,
): Promise<ActionResult> {
  requirePlatformAdmin(actor);
  return performAction(deps, actor, await serverById(deps.db, serverId), action);
}

/** Deletes any organization's server, with the reason staff give (recorded with the server and in the log). */
export async function adminDeleteServer(
  deps: Deps,
  actor: Actor,
  serverId: string,
  input: { reason: string },
): Promise<{ refunded: bigint }> {
  requirePlatformAdmin(actor);
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (!reason) throw new ValidationError({ reason: 'Give a reason: the organization sees it.' });
  if (reason.length > 500) throw new ValidationError({ reason: 'At most 500 characters.' });
  const server = await serverById(deps.db, serverId);
  return removeServer(deps, actor, server.id, { reason, staff: true });
}

export interface DriftFinding {
  id: string;
  providerId: string;
  providerName: string;
  kind: 'unknown_at_provider' | 'missing_at_provider';
  providerInstanceId: string;
  serverId: string | null;
  organizationId: string | null;
  label: string | null;
  detectedAt: Date;
  resolvedAt: Date | null;
}

/** Drift findings, open ones first then newest (`open: true`: only the open ones). */
export async function listDrift(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  opts: { open?: boolean; limit?: number } = {},
): Promise<DriftFinding[]> {
  requirePlatformAdmin(actor);
  let q = deps.db
    .selectFrom('server_drift as d')
    .innerJoin('cloud_providers as p', 'p.id', 'd.provider_id')
    .leftJoin('servers as s', 's.id', 'd.server_id')
    .select([
      'd.id',
      'd.provider_id',
      'p.name as provider_name',
      'd.kind',
      'd.provider_instance_id',
      'd.server_id',
      's.organization_id',
      'd.label',
      'd.detected_at',
      'd.resolved_at',
    ]);
  if (opts.open) q = q.where('d.resolved_at', 'is', null);
  const rows = await q
    .orderBy(sql`d.resolved_at is null`, 'desc')
    .orderBy('d.detected_at', 'desc')
    .limit(Math.min(opts.limit ?? 200, 500))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    providerId: r.provider_id,
    providerName: r.provider_name,
    kind: r.kind,
    providerInstanceId: r.provider_instance_id,
    serverId: r.server_id,
    organizationId: r.organization_id,
    label: r.label,
    detectedAt: r.detected_at,
    resolvedAt: r.resolved_at,
  }));
}

/** Marks a finding handled (the next reconciliation reports it again if the cause is still there). */
export async function resolveDrift(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, driftId: string): Promise<void> {
  requirePlatformAdmin(actor);
  if (!isUuid(driftId)) throw new NotFoundError('No such finding.');
  const row = await deps.db
    .updateTable('server_drift')
    .set({ resolved_at: sql`now()` })
    .where('id', '=', driftId)
    .where('resolved_at', 'is', null)
    .returning(['id', 'provider_instance_id', 'kind'])
    .executeTakeFirst();
  if (!row) {
    const exists = await deps.db.selectFrom('server_drift').select('id').where('id', '=', driftId).executeTakeFirst();
    if (!exists) throw new NotFoundError('No such finding.');
    return;
  }
  await recordActivity(deps.db, {
    action: 'admin.server_drift_resolved',
    actorUserId: actor.userId,
    origin: actor.origin,
    target: { type: 'server_drift', id: row.id },
    details: { kind: row.kind, instance: row.provider_instance_id },
    occurredAt: deps.clock.now(),
  });
}
