import type { Deps } from '../src/domain/deps.ts';
import { attemptDelivery, deliverDue, purgeOldEvents } from '../src/domain/webhooks/deliver.ts';
import type { Payload } from '../src/queue/index.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * `webhooks.deliver`: with `deliveryId` (enqueued with the event, in its transaction), that
 * delivery's first attempt; on the schedule (every minute, recorded in job_runs), every
 * delivery whose retry is due or whose worker died mid-send. Safe to run twice and on any
 * number of processes: an attempt is made only under the delivery's lease. The sweep also
 * deletes events a month old whose deliveries all ended (deliver.ts KEEP_DAYS).
 */
export async function webhooksDeliverJob(deps: Deps, data: Payload<'webhooks.deliver'>, jobId: string | null) {
  if (data.deliveryId) return { status: await attemptDelivery(deps, data.deliveryId, 'first') };
  return recordRun(deps, 'webhooks.deliver', jobId, async () => ({
    attempts: await deliverDue(deps),
    purged: await purgeOldEvents(deps.db, deps.clock.now()),
  }));
}
