import type { Selectable } from 'kysely';
import { publish } from '../../db/notify.ts';
import type { DbOrTx } from '../../db/index.ts';
import type { HostingOperationKind, HostingOperationStatus, HostingOperationsTable } from '../../db/types.ts';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { EnhanceError, type EnhanceClient, type EnhanceJobStatus } from '../../providers/enhance/index.ts';
import type { Actor } from '../access/actor.ts';
import { activityBy, recordActivity, type ActivityAction } from '../activity/record.ts';
import { hostingClient, type HostingDeps } from './connector.ts';
import { integrationRow } from './integration.ts';
import { serviceFor, siteOf, type ServiceRow } from './services.ts';

/**
 * What the data tabs of a hosting service share (email, MySQL, WordPress, backups):
 *
 * - `siteAccess`: the service through the actor's organization (foreign ids 404, hosting_view
 *   to read, hosting_manage to change), its live website (409 when it has none: still being
 *   set up, failed or cancelled; changes 409 while it is suspended) and a client of the panel
 *   it lives on.
 * - `panel`: a panel call whose failure becomes an AppError in white-label words: input the
 *   panel refused → 422 (naming our field when we know it), a plan limit → 422
 *   `hosting_quota_exceeded`, a duplicate → 409, a missing thing → 404, the rest → 503.
 * - Long operations (WordPress installs, backups, restores; migration 0042): recorded when
 *   started, polled while running by whoever reads the tab or the API (at most once per
 *   POLL_INTERVAL_MS per operation: the poll is claimed with a conditional update), and moved
 *   out of `running` by exactly one update, which writes the audit entry and publishes
 *   `hosting.operation` to the organization's hosting viewers. Every app instance sees the same
 *   rows; nothing is held in memory.
 */

export type OperationRow = Selectable<HostingOperationsTable>;

/** How often one running operation is asked about at most, whoever asks. */
export const POLL_INTERVAL_MS = 2_000;
/** The realtime topic of an operation that started or ended (data: service_id, operation_id, kind, status). */
export const OPERATION_TOPIC = 'hosting.operation';

export const NO_WEBSITE =
  'This hosting service has no live website yet (it is still being set up, failed or was cancelled).';
export const SUSPENDED =
  'This hosting service is suspended: add funds to your wallet to re-enable it before changing it.';

export interface SiteAccess {
  db: DbOrTx;
  service: ServiceRow;
  orgId: string;
  websiteId: string;
  client: EnhanceClient;
}

/** The service's website and a panel client, for an actor holding `permission`. */
export async function siteAccess(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  permission: 'hosting_view' | 'hosting_manage',
): Promise<SiteAccess> {
  const service = await serviceFor(deps.db, actor, serviceId, permission);
  const site = siteOf(service);
  if (!site) throw new AppError('hosting_no_website', 409, NO_WEBSITE);
  if (permission === 'hosting_manage' && service.status === 'suspended')
    throw new AppError('hosting_suspended', 409, SUSPENDED);
  const row = await integrationRow(deps.db);
  if (!row || (!row.demo && row.master_org_id !== service.master_org_id))
    throw new AppError('hosting_unavailable', 503, 'Web hosting is not available right now; try again later.');
  return { db: deps.db, service, ...site, client: hostingClient(deps, row) };
}

/** Audits a change to the service's website by `actor` (never a password or a link in `details`). */
export async function auditSite(
  s: SiteAccess,
  actor: Actor,
  action: ActivityAction,
  details: Record<string, string | number | boolean | null>,
): Promise<void> {
  await recordActivity(
    s.db,
    activityBy(actor, action, { target: { type: 'hosting_service', id: s.service.id }, details }),
  );
}

/**
 * A panel call. Failures in white-label words: `fields` maps the panel's `detail` (the field it
 * refused) to our form field, so a refusal lands beside the right input.
 */
export async function panel<T>(call: () => Promise<T>, fields: Record<string, string> = {}): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw customerError(err, fields);
  }
}

export function customerError(err: unknown, fields: Record<string, string> = {}): unknown {
  if (!(err instanceof EnhanceError)) return err;
  const detail = err.detail ?? '';
  switch (err.kind) {
    case 'validation': {
      const field = fields[detail];
      return field ? new ValidationError({ [field]: err.message }) : new AppError('hosting_refused', 422, err.message);
    }
    case 'forbidden':
      // A plan limit (mailboxes, mysqlDbs…) reads "The hosting plan's limit … has been reached (x)."
      if (/limit/i.test(err.message)) return new AppError('hosting_quota_exceeded', 422, err.message);
      return new AppError('hosting_refused', 422, 'The hosting platform refused this request.');
    case 'conflict':
      return new ConflictError(err.message);
    case 'not_found':
      return new NotFoundError('That was not found on your website.');
    case 'unauthorized':
      return new AppError('hosting_unavailable', 503, 'Web hosting is not available right now; try again later.');
    default:
      return new AppError('hosting_unavailable', 503, err.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Long operations

const ENDED: Record<HostingOperationKind, Record<'done' | 'failed', ActivityAction>> = {
  wordpress_install: { done: 'hosting.wordpress_installed', failed: 'hosting.wordpress_install_failed' },
  backup: { done: 'hosting.backup_finished', failed: 'hosting.backup_failed' },
  restore: { done: 'hosting.restore_finished', failed: 'hosting.restore_failed' },
};

const FAILED_MESSAGE: Record<HostingOperationKind, string> = {
  wordpress_install: 'The WordPress installation failed. Remove it and try again, or contact support.',
  backup: 'The backup failed. Try again in a few minutes, or contact support.',
  restore: 'The restore failed: your website may be partly restored. Try again, or contact support.',
};

async function announce(
  db: DbOrTx,
  op: Pick<OperationRow, 'id' | 'organization_id' | 'service_id' | 'kind' | 'status'>,
) {
  await publish(db, {
    topic: OPERATION_TOPIC,
    audience: { organizationId: op.organization_id, permission: 'hosting_view' },
    data: { service_id: op.service_id, operation_id: op.id, kind: op.kind, status: op.status },
  });
}

/** Records an operation the panel has just started, audits it and tells the organization's open pages. */
export async function startOperation(
  deps: HostingDeps,
  actor: Actor,
  service: ServiceRow,
  op: { kind: HostingOperationKind; ref: string; label: string; action: ActivityAction },
): Promise<OperationRow> {
  const now = deps.clock.now();
  const row = await deps.db
    .insertInto('hosting_operations')
    .values({
      service_id: service.id,
      organization_id: service.organization_id,
      kind: op.kind,
      ref: op.ref,
      label: op.label,
      started_by: actor.userId,
      started_at: now,
      checked_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordActivity(
    deps.db,
    activityBy(actor, op.action, {
      target: { type: 'hosting_service', id: service.id },
      details: { domain: service.domain, [op.kind === 'wordpress_install' ? 'path' : 'backup']: op.label || '/' },
      occurredAt: now,
    }),
  );
  await announce(deps.db, row);
  return row;
}

/** The service's operations, newest first (the running ones and the last few that ended). */
export async function operationsOf(db: DbOrTx, serviceId: string, limit = 20): Promise<OperationRow[]> {
  return db
    .selectFrom('hosting_operations')
    .selectAll()
    .where('service_id', '=', serviceId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Where one operation stands at the panel. */
export type Progress = 'running' | 'done' | 'failed';

/** Several job statuses (files, databases, emails) as one: any failed → failed; all successful (or absent) → done. */
export function combined(statuses: Array<EnhanceJobStatus | string | null | undefined>): Progress {
  const known = statuses.filter((s): s is string => typeof s === 'string');
  if (known.some((s) => s === 'failed')) return 'failed';
  if (known.length && known.every((s) => s === 'successful')) return 'done';
  return 'running';
}

async function progressOf(site: SiteAccess, op: OperationRow): Promise<Progress> {
  const { client, orgId, websiteId } = site;
  try {
    if (op.kind === 'wordpress_install') {
      const app = (await client.listApps(orgId, websiteId)).find((a) => a.id === op.ref);
      if (!app) return 'failed';
      // The live panel's signal is unconfirmed: no status at all reads as installed.
      if (app.installStatus === null) return 'done';
      return combined([app.installStatus]);
    }
    if (op.kind === 'backup') {
      const b = await client.getBackup(orgId, websiteId, Number(op.ref));
      return combined([b.homeDirStatus, b.mysqlDbsStatus, b.emailsStatus]);
    }
    const r = await client.restoreStatus(orgId, websiteId, Number(op.ref));
    return combined([r.homeDirStatus, r.mysqlDbsStatus, r.emailsStatus]);
  } catch (err) {
    // The thing is gone at the panel: it cannot end well. Anything else: ask again later.
    if (err instanceof EnhanceError && err.status === 404) return 'failed';
    return 'running';
  }
}

/**
 * Polls the service's running operations that nobody asked about in the last POLL_INTERVAL_MS,
 * and ends those the panel says ended (each exactly once, whichever instance sees it first).
 * Returns how many ended now.
 */
export async function refreshOperations(deps: HostingDeps, site: SiteAccess): Promise<number> {
  const now = deps.clock.now();
  const due = new Date(now.getTime() - POLL_INTERVAL_MS);
  const claimed = await deps.db
    .updateTable('hosting_operations')
    .set({ checked_at: now })
    .where('service_id', '=', site.service.id)
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('checked_at', 'is', null), eb('checked_at', '<=', due)]))
    .returningAll()
    .execute();
  let ended = 0;
  for (const op of claimed) {
    const progress = await progressOf(site, op);
    if (progress === 'running') continue;
    if (await endOperation(deps, op, progress)) ended += 1;
  }
  return ended;
}

async function endOperation(deps: HostingDeps, op: OperationRow, status: Exclude<HostingOperationStatus, 'running'>) {
  const now = deps.clock.now();
  const row = await deps.db
    .updateTable('hosting_operations')
    .set({ status, finished_at: now, message: status === 'failed' ? FAILED_MESSAGE[op.kind] : null })
    .where('id', '=', op.id)
    .where('status', '=', 'running')
    .returningAll()
    .executeTakeFirst();
  if (!row) return false;
  await recordActivity(deps.db, {
    action: ENDED[op.kind][status],
    actorUserId: null,
    organizationId: op.organization_id,
    target: { type: 'hosting_service', id: op.service_id },
    details: { [op.kind === 'wordpress_install' ? 'path' : 'backup']: op.label || '/' },
    occurredAt: now,
  });
  await announce(deps.db, row);
  return true;
}

/**
 * For a job (or staff): polls every service with a running operation, so operations end even
 * when nobody has the page open. Returns how many ended.
 */
export async function pollRunningOperations(deps: HostingDeps, opts: { serviceId?: string } = {}): Promise<number> {
  let q = deps.db
    .selectFrom('hosting_operations as o')
    .innerJoin('hosting_services as s', 's.id', 'o.service_id')
    .selectAll('s')
    .distinctOn('s.id')
    .where('o.status', '=', 'running');
  if (opts.serviceId) q = q.where('s.id', '=', opts.serviceId);
  const services = await q.execute();
  const row = await integrationRow(deps.db);
  if (!row) return 0;
  let ended = 0;
  for (const service of services) {
    const site = siteOf(service);
    if (!site) continue;
    try {
      ended += await refreshOperations(deps, { db: deps.db, service, ...site, client: hostingClient(deps, row) });
    } catch {
      // One service's trouble must not stop the others; the next poll tries again.
    }
  }
  return ended;
}

/** An operation for pages and the API. */
export function presentOperation(op: OperationRow) {
  return {
    id: op.id,
    kind: op.kind,
    ref: op.ref,
    label: op.label,
    status: op.status,
    message: op.message,
    started_at: op.started_at.toISOString(),
    finished_at: op.finished_at ? op.finished_at.toISOString() : null,
  };
}
