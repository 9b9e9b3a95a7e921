import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { AppError, NotFoundError } from '../../lib/errors.ts';
import { EnhanceError, type EnhanceClient } from '../../providers/enhance/index.ts';
import { hostingClient, type HostingDeps } from './connector.ts';
import { integrationRow } from './integration.ts';
import { publishServiceStatus } from './saga-end.ts';
import { emitHostingEvent } from '../webhooks/hooks.ts';
import { NO_SUCH_SERVICE, type ServiceRow } from './services.ts';

/**
 * A service's website at the panel, for billing and staff: suspend (PATCH website
 * `{status:"disabled", isSuspended:true}` — never `status:"suspended"`, which the panel refuses
 * with 400), unsuspend (`{status:"active", isSuspended:false}`), and delete (the website, then
 * the subscription, both forced; each tried in the customer's organization, then the master
 * organization — spec §5.3; one already gone counts as deleted). The panel is called first and
 * the row changed after, with a conditional update, so a panel failure changes nothing here and
 * the next attempt does it again; the calls are idempotent at the panel.
 *
 * Status: active ⇄ suspended (suspended_by dunning or staff); active|suspended → cancelled.
 */

export type SuspendedBy = 'dunning' | 'staff';

/** The panel client for the stored integration; 503 for the caller when there is none. */
export async function panelClient(deps: HostingDeps): Promise<EnhanceClient> {
  const row = await integrationRow(deps.db);
  if (!row) throw new AppError('hosting_unavailable', 503, 'Web hosting is not available at the moment.');
  return hostingClient(deps, row);
}

const gone = (err: unknown) => err instanceof EnhanceError && err.status === 404;

/** Runs `call` in the customer organization, then (refused or not found there) in the master organization; a 404 in both is done. */
async function inOrgThenMaster(service: ServiceRow, call: (orgId: string) => Promise<void>): Promise<void> {
  try {
    await call(service.enhance_org_id ?? service.master_org_id);
    return;
  } catch (err) {
    if (!(err instanceof EnhanceError) || ![403, 404].includes(err.status ?? 0)) throw err;
    if (!service.enhance_org_id || service.enhance_org_id === service.master_org_id) {
      if (gone(err)) return;
      throw err;
    }
  }
  try {
    await call(service.master_org_id);
  } catch (err) {
    if (!gone(err)) throw err;
  }
}

/** Deletes the service's website and subscription at the panel (forced); what is already gone is skipped. */
export async function deleteAtPanel(client: EnhanceClient, service: ServiceRow): Promise<void> {
  const websiteId = service.enhance_website_id;
  if (websiteId) await inOrgThenMaster(service, (org) => client.deleteWebsite(org, websiteId, { force: true }));
  const subId = service.enhance_subscription_id;
  if (subId !== null) await inOrgThenMaster(service, (org) => client.deleteSubscription(org, subId, { force: true }));
}

/** Sets the website's suspension at the panel (nothing to do when the service has no website yet). */
export async function setSuspendedAtPanel(client: EnhanceClient, service: ServiceRow, suspended: boolean) {
  if (!service.enhance_website_id || !service.enhance_org_id) return;
  await client.setWebsiteSuspended(service.enhance_org_id, service.enhance_website_id, suspended);
}

async function load(db: DbOrTx, serviceId: string): Promise<ServiceRow> {
  const row = await db.selectFrom('hosting_services').selectAll().where('id', '=', serviceId).executeTakeFirst();
  if (!row) throw new NotFoundError(NO_SUCH_SERVICE);
  return row;
}

/**
 * Suspends an active service's website (billing: `by` dunning; staff: `by` staff). A service
 * already suspended keeps its first suspension (a staff suspension is not turned into
 * dunning's, nor the other way); one not active or suspended is refused (409).
 */
export async function suspendService(deps: HostingDeps, serviceId: string, by: SuspendedBy): Promise<ServiceRow> {
  const service = await load(deps.db, serviceId);
  if (service.status === 'suspended') return service;
  if (service.status !== 'active')
    throw new AppError('hosting_not_active', 409, 'Only an active website can be suspended.');
  await setSuspendedAtPanel(await panelClient(deps), service, true);
  return markSuspended(deps, deps.db, service.id, by);
}

/** Records a suspension done at the panel (conditional: an active service only). */
export async function markSuspended(
  deps: Pick<HostingDeps, 'clock'>,
  db: DbOrTx,
  serviceId: string,
  by: SuspendedBy,
): Promise<ServiceRow> {
  const now = deps.clock.now();
  const row = await db
    .updateTable('hosting_services')
    .set({ status: 'suspended', suspended_at: now, suspended_by: by, updated_at: now })
    .where('id', '=', serviceId)
    .where('status', '=', 'active')
    .returningAll()
    .executeTakeFirst();
  if (row) await publishServiceStatus(db, row);
  if (row)
    await emitHostingEvent(db, row, 'suspended', {
      key: `hosting.service.suspended:${row.id}:${now.toISOString()}`,
      at: now,
      facts: { by },
    });
  return row ?? load(db, serviceId);
}

/** Enables a suspended service's website again; an active one is left as it is, any other refused (409). */
export async function unsuspendService(deps: HostingDeps, serviceId: string): Promise<ServiceRow> {
  const service = await load(deps.db, serviceId);
  if (service.status === 'active') return service;
  if (service.status !== 'suspended')
    throw new AppError('hosting_not_suspended', 409, 'Only a suspended website can be enabled again.');
  await setSuspendedAtPanel(await panelClient(deps), service, false);
  return inTransaction(deps.db, (trx) => markActive(deps, trx, service.id));
}

/** Records an unsuspension done at the panel (conditional: a suspended service only). */
export async function markActive(deps: Pick<HostingDeps, 'clock'>, db: DbOrTx, serviceId: string) {
  const row = await db
    .updateTable('hosting_services')
    .set({ status: 'active', suspended_at: null, suspended_by: null, updated_at: deps.clock.now() })
    .where('id', '=', serviceId)
    .where('status', '=', 'suspended')
    .returningAll()
    .executeTakeFirst();
  if (row) await publishServiceStatus(db, row);
  if (row)
    await emitHostingEvent(db, row, 'active', {
      key: `hosting.service.active:${row.id}:${row.updated_at.toISOString()}`,
      at: row.updated_at,
      facts: { reason: 'unsuspended' },
    });
  return row ?? load(db, serviceId);
}
