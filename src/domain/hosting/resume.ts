import { EnhanceError } from '../../providers/enhance/index.ts';
import { AppError, ConflictError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';
import { hostingClient } from './connector.ts';
import { adminMessage, integrationRow } from './integration.ts';
import { publishServiceStatus } from './saga-end.ts';
import { runSaga, SAGA_WATCH_SECONDS, type SagaOutcome } from './saga.ts';
import { NO_SUCH_SERVICE, type ServiceRow } from './services.ts';

/** The purchase saga after the request: the job's resume, staff's retry and sync (re-exported by purchase.ts). */

/**
 * The hosting.sagas job: sagas with no live worker (saga.ts: their lock is free) whose backoff
 * has run out are taken forward or compensated, oldest first; with `serviceId` (the purchase's
 * watch), that one. Counts by outcome.
 */
export async function resumeSagas(deps: Deps, opts: { serviceId?: string } = {}): Promise<Record<string, number>> {
  const now = deps.clock.now();
  const ids = opts.serviceId
    ? [opts.serviceId]
    : (
        await deps.db
          .selectFrom('hosting_services')
          .select('id')
          .where('saga_state', 'in', ['running', 'compensating'])
          .where((eb) => eb.or([eb('saga_claimed_until', 'is', null), eb('saga_claimed_until', '<=', now)]))
          .orderBy('saga_claimed_until', (o) => o.asc().nullsFirst())
          .limit(50)
          .execute()
      ).map((r) => r.id);
  const counts: Record<string, number> = {};
  for (const id of ids) {
    let outcome: SagaOutcome | 'error';
    try {
      outcome = await runSaga(deps, id);
    } catch (err) {
      deps.log.error({ serviceId: id, err: adminMessage(err) }, 'hosting purchase saga failed to run');
      outcome = 'error';
    }
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    // A live worker holds it: watched again, so if that worker dies it is taken over within seconds.
    if (outcome === 'busy' && opts.serviceId)
      await deps.queue.enqueue(deps.db, 'hosting.sagas', { serviceId: id }, { startAfter: SAGA_WATCH_SECONDS });
  }
  return counts;
}

/** Staff: work on a running or compensating saga now, not waiting for its backoff. */
export async function retrySaga(deps: Deps, staffActor: Actor, serviceId: string): Promise<ServiceRow> {
  requirePlatformAdmin(staffActor);
  if (!isUuid(serviceId)) throw new NotFoundError(NO_SUCH_SERVICE);
  const service = await deps.db
    .selectFrom('hosting_services')
    .selectAll()
    .where('id', '=', serviceId)
    .executeTakeFirst();
  if (!service) throw new NotFoundError(NO_SUCH_SERVICE);
  if (service.saga_state !== 'running' && service.saga_state !== 'compensating')
    throw new ConflictError('This purchase has finished: there is no step to retry.');
  const outcome = await runSaga(deps, serviceId, { force: true });
  if (outcome === 'busy') throw new ConflictError('A worker is on this purchase right now. Try again in a minute.');
  return deps.db.selectFrom('hosting_services').selectAll().where('id', '=', serviceId).executeTakeFirstOrThrow();
}

/**
 * Staff "sync": the website as the panel sees it now; the service's server IPs and PHP version
 * follow it. Our status is not changed here (suspension is billing's; the panel's status is
 * returned for staff to read). Panel failures are AppErrors with the staff message.
 */
export async function syncServiceFromPanel(
  deps: Deps,
  serviceId: string,
): Promise<{ websiteStatus: string; serverIps: { ip: string; isPrimary: boolean }[]; phpVersion: string | null }> {
  if (!isUuid(serviceId)) throw new NotFoundError(NO_SUCH_SERVICE);
  const service = await deps.db
    .selectFrom('hosting_services')
    .selectAll()
    .where('id', '=', serviceId)
    .executeTakeFirst();
  if (!service) throw new NotFoundError(NO_SUCH_SERVICE);
  if (!service.enhance_org_id || !service.enhance_website_id)
    throw new ConflictError('This service has no website at the control panel yet.');
  const integration = await integrationRow(deps.db);
  if (!integration) throw new AppError('hosting_not_configured', 422, 'The hosting integration is not configured.');
  let site;
  try {
    site = await hostingClient(deps, integration).getWebsite(service.enhance_org_id, service.enhance_website_id);
  } catch (err) {
    // A panel that did not answer (timeout, network, 5xx: already retried) is unavailable, not a refusal.
    const unreachable = err instanceof EnhanceError && (err.status === null || err.status >= 500);
    throw new AppError(
      unreachable ? 'hosting_unavailable' : 'hosting_sync_failed',
      unreachable ? 503 : 422,
      `The website could not be read: ${adminMessage(err)}`,
    );
  }
  await deps.db
    .updateTable('hosting_services')
    .set({
      server_ips: JSON.stringify(site.serverIps) as never,
      php_version: site.phpVersion,
      updated_at: deps.clock.now(),
    })
    .where('id', '=', serviceId)
    .execute();
  await publishServiceStatus(deps.db, service);
  return { websiteStatus: site.status, serverIps: site.serverIps, phpVersion: site.phpVersion };
}
