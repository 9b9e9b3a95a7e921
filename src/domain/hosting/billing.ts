import { sql } from 'kysely';
import type { Tx } from '../../db/index.ts';
import type { Deps } from '../deps.ts';
import { dunningConfig } from '../settings/billing-policy.ts';
import type { HostingDeps } from './connector.ts';
import { emptyTally, stepService, type BillingTally } from './renewals.ts';

/**
 * One hosting billing run (the `hosting.billing` job, every five minutes, or for one
 * organization at once when a credit was posted: `wakeHostingBilling`): every service that is
 * due (period over), overdue, or suspended by dunning is taken one step further (renewals.ts).
 * Each service stands alone: one that fails (the panel is down) is logged and counted, and
 * the others go on; the next run tries it again. Running it twice changes nothing more.
 */
export async function runHostingBilling(
  deps: Deps & HostingDeps,
  opts: { organizationId?: string } = {},
): Promise<BillingTally> {
  // The dunning periods staff set (Platform settings → Billing), else the environment's: server dunning's.
  const periods = await dunningConfig(deps);
  const tally = emptyTally();
  const now = deps.clock.now();
  const rows = await deps.db
    .selectFrom('hosting_services')
    .select('id')
    .where('status', 'in', ['active', 'suspended'])
    .where('period_end', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('period_end', '<=', now),
        eb('overdue_since', 'is not', null),
        eb.and([eb('status', '=', 'suspended'), eb('suspended_by', '=', 'dunning')]),
      ]),
    )
    .$if(!!opts.organizationId, (q) => q.where('organization_id', '=', opts.organizationId!))
    .orderBy('period_end')
    .orderBy('id')
    .execute();
  for (const { id } of rows) {
    try {
      await stepService(deps, id, periods, tally);
    } catch (err) {
      tally.errors++;
      deps.log.error(
        { serviceId: id, err: err instanceof Error ? err.message : String(err) },
        'hosting billing failed',
      );
    }
  }
  return tally;
}

/**
 * Call in the transaction that credits a wallet (dunning/lift.ts `wakeDunning` does): when
 * the organization has hosting that is overdue or suspended for non-payment, `hosting.billing`
 * is queued for it in the same transaction, so the unpaid months are charged and the website
 * enabled again at once rather than at the next scheduled run. One indexed read otherwise.
 */
export async function wakeHostingBilling(deps: Pick<Deps, 'queue'>, trx: Tx, organizationId: string) {
  const { rows } = await sql<{ due: boolean }>`
    select exists (
      select 1 from hosting_services
       where organization_id = ${organizationId} and status in ('active', 'suspended')
         and (overdue_since is not null or suspended_by = 'dunning')
    ) as due`.execute(trx);
  if (rows[0]?.due) await deps.queue.enqueue(trx, 'hosting.billing', { organizationId });
}
