import { sql } from 'kysely';
import type { Tx } from '../../db/index.ts';
import type { Deps } from '../deps.ts';
import { wakeHostingBilling } from '../hosting/billing.ts';

/**
 * Call in the transaction that credits a wallet (a top-up settled, a staff credit, a refund to
 * the wallet, a failed PayPal refund returned): when the credit leaves the balance at or above
 * zero while the organization has an open dunning case or suspended servers, the
 * `billing.dunning` job is queued for it in the same transaction, so the suspension lifts at
 * once (the servers that were running are booted again) instead of at the next scheduled run.
 * Web hosting that is overdue wakes too (`hosting.billing` for the organization: its unpaid
 * months are charged and its websites enabled again at once; src/domain/hosting/billing.ts).
 * Costs one indexed read (two with hosting) when there is nothing to lift.
 */
export async function wakeDunning(deps: Pick<Deps, 'queue'>, trx: Tx, organizationId: string): Promise<void> {
  const { rows } = await sql<{ due: boolean }>`
    select (w.balance >= 0 and (
      exists (select 1 from dunning_cases c where c.organization_id = w.organization_id and c.lifted_at is null)
      or exists (select 1 from servers s where s.organization_id = w.organization_id and s.status = 'suspended' and s.deleted_at is null)
    )) as due
    from wallets w where w.organization_id = ${organizationId}
  `.execute(trx);
  if (rows[0]?.due) await deps.queue.enqueue(trx, 'billing.dunning', { organizationId });
  await wakeHostingBilling(deps, trx, organizationId);
}

/**
 * After usage was charged (an hourly billing or transfer run): one dunning run over every
 * organization, so a wallet the charges took below zero gets its arrears email at once rather
 * than at the next scheduled run. One queued run at a time (singleton key).
 */
export async function wakeDunningRun(deps: Pick<Deps, 'queue' | 'db'>): Promise<void> {
  await deps.queue.enqueue(deps.db, 'billing.dunning', {}, { singletonKey: 'billing.dunning.after-usage' });
}
