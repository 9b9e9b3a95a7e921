import { z } from 'zod';
import { AppError, ConflictError, ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { activityBy, recordActivity, type ActivityAction } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { adminGetHostingService, type AdminHostingServiceView } from './admin.ts';
import { cancelService } from './cancel.ts';
import type { HostingDeps } from './connector.ts';
import { adminMessage } from './integration.ts';
import { retrySaga, syncServiceFromPanel } from './purchase.ts';
import type { ServiceRow } from './services.ts';
import { suspendService, unsuspendService } from './suspension.ts';

/**
 * Staff's actions on one hosting service (`/admin/hosting/services/:id`). Each is the owning
 * module's function — billing's suspension and cancellation, the purchase saga's retry and
 * sync — asked for by staff (platform admins only: adminGetHostingService asks) and entered in
 * the activity log with the staff member as the actor. A panel failure changes nothing and
 * reaches staff in the panel's words (503).
 */

type ActionDeps = Deps & HostingDeps;
type ServiceTarget = Pick<AdminHostingServiceView, 'id' | 'organizationId' | 'domain'>;

/** A panel failure as staff read it (method, path, status, the panel's words): 503, never a 500. */
async function atPanel<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('hosting_panel_failed', 503, `The control panel did not do it: ${adminMessage(err)}`);
  }
}

async function audit(
  deps: ActionDeps,
  actor: Actor,
  action: ActivityAction,
  service: ServiceTarget,
  details: Record<string, string | number | boolean | null> = {},
) {
  await recordActivity(deps.db, {
    ...activityBy(actor, action, { occurredAt: deps.clock.now() }),
    organizationId: service.organizationId,
    target: { type: 'hosting_service', id: service.id },
    details: { domain: service.domain, ...details },
  });
}

/** Suspends an active service's website at the panel (`suspended_by` staff). */
export async function adminSuspendHostingService(deps: ActionDeps, actor: Actor, id: string): Promise<ServiceRow> {
  const s = await adminGetHostingService(deps, actor, id);
  if (s.status !== 'active') throw new ConflictError('Only an active service can be suspended.');
  const row = await atPanel(() => suspendService(deps, s.id, 'staff'));
  await audit(deps, actor, 'admin.hosting_service_suspended', s);
  return row;
}

/** Enables a suspended service's website again (a staff or a dunning suspension). */
export async function adminUnsuspendHostingService(deps: ActionDeps, actor: Actor, id: string): Promise<ServiceRow> {
  const s = await adminGetHostingService(deps, actor, id);
  if (s.status !== 'suspended') throw new ConflictError('Only a suspended service can be enabled again.');
  const row = await atPanel(() => unsuspendService(deps, s.id));
  await audit(deps, actor, 'admin.hosting_service_unsuspended', s, {
    suspended_by: s.suspendedBy,
    still_overdue: s.overdueSince !== null,
  });
  return row;
}

const cancelSchema = z.object({
  when: z.enum(['now', 'period_end'], { error: 'Choose when the hosting ends.' }),
  refund: z.enum(['prorated', 'none'], { error: 'Choose whether to refund the unused days.' }),
});

/**
 * Cancels any organization's service: now (its website deleted at the panel) with the unused
 * whole days refunded or without a refund, or at the end of the period (no refund). Billing's
 * cancelService does it and logs it with the staff member as the actor. Answers the amount
 * refunded.
 */
export async function adminCancelHostingService(
  deps: ActionDeps,
  actor: Actor,
  id: string,
  input: Record<string, unknown>,
): Promise<{ service: ServiceRow; refunded: bigint }> {
  const s = await adminGetHostingService(deps, actor, id);
  const f = parseInput(cancelSchema, { when: input.when, refund: input.refund });
  if (f.when === 'period_end' && f.refund === 'prorated')
    throw new ValidationError({ refund: 'A refund is given only when the hosting ends now.' });
  if (s.status === 'cancelled') throw new ConflictError('This service is already cancelled.');
  const refundedSoFar = async () => {
    const r = await deps.db
      .selectFrom('hosting_charges')
      .select((eb) => eb.fn.sum<string | null>('refunded').as('sum'))
      .where('service_id', '=', s.id)
      .executeTakeFirstOrThrow();
    return BigInt(r.sum ?? 0);
  };
  const before = await refundedSoFar();
  const service = await atPanel(() =>
    cancelService(deps, actor, s.id, { when: f.when, refund: f.refund === 'prorated', staff: true }),
  );
  return { service, refunded: (await refundedSoFar()) - before };
}

/** Works on a purchase that is running or compensating now (the job would at its next backoff). */
export async function adminRetryHostingSaga(deps: ActionDeps, actor: Actor, id: string): Promise<ServiceRow> {
  const s = await adminGetHostingService(deps, actor, id);
  const row = await retrySaga(deps, actor, s.id);
  await audit(deps, actor, 'admin.hosting_saga_retried', s, {
    saga_state: row.saga_state,
    status: row.status,
    error: row.saga_state === 'done' ? null : row.saga_error,
  });
  return row;
}

/** Reads the service's website from the panel: its status there, server IPs and PHP version follow. */
export async function adminSyncHostingService(deps: ActionDeps, actor: Actor, id: string) {
  const s = await adminGetHostingService(deps, actor, id);
  const synced = await atPanel(() => syncServiceFromPanel(deps, s.id));
  await audit(deps, actor, 'admin.hosting_service_synced', s, {
    website_status: synced.websiteStatus,
    server_ips: synced.serverIps.map((i) => i.ip).join(', '),
  });
  return synced;
}

/**
 * Syncs every service of the organization that has a website (active or suspended), one at a
 * time; a refusal is reported per domain and does not stop the others. A panel that does not
 * answer (503: each call already retried) stops the sync: the services not tried are reported
 * as such instead of each waiting out its own retries. One log entry.
 */
export async function adminSyncHostingOrganization(deps: ActionDeps, actor: Actor, id: string) {
  const s = await adminGetHostingService(deps, actor, id);
  const services = await deps.db
    .selectFrom('hosting_services')
    .select(['id', 'domain'])
    .where('organization_id', '=', s.organizationId)
    .where('status', 'in', ['active', 'suspended'])
    .where('enhance_website_id', 'is not', null)
    .orderBy('domain')
    .execute();
  const failed: { domain: string; message: string }[] = [];
  let synced = 0;
  for (const [i, one] of services.entries()) {
    try {
      await atPanel(() => syncServiceFromPanel(deps, one.id));
      synced++;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      failed.push({ domain: one.domain, message: err.message });
      if (err.code === 'hosting_unavailable') {
        for (const rest of services.slice(i + 1))
          failed.push({ domain: rest.domain, message: 'Not tried: the control panel did not answer.' });
        break;
      }
    }
  }
  await recordActivity(deps.db, {
    ...activityBy(actor, 'admin.hosting_organization_synced', { occurredAt: deps.clock.now() }),
    organizationId: s.organizationId,
    target: { type: 'organization', id: s.organizationId },
    details: { name: s.organizationName, synced, failed: failed.map((f) => f.domain).join(', ') || null },
  });
  return { organizationName: s.organizationName, synced, failed };
}
