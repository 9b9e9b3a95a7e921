import { ValidationError } from '../../lib/errors.ts';
import { formatMoney } from '../../lib/money.ts';
import type { Actor } from '../access/actor.ts';
import { offeredPlan, planPriceAt } from '../catalogue/offer.ts';
import type { Deps } from '../deps.ts';
import { InsufficientFundsError } from '../ledger/post.ts';
import { act } from './act.ts';
import type { ServerRecord } from './find.ts';
import { nextHourPeriod } from './periods.ts';
import { databaseHour } from './rules.ts';
import type { ActionView } from './view.ts';

/**
 * Resize (actions.ts `resize`): to another active plan of the same provider, sold in the
 * server's region. Resizing up (a higher hourly rate, backups included when on) needs the
 * balance to cover one hour at the new rate, checked with the wallet row locked (BILLING.md:
 * customer-initiated spending is guarded). The new plan is billed from the next clock hour
 * (a billing period row); the current hour stays at the rate it was charged.
 */
export async function resize(deps: Deps, actor: Actor, server: ServerRecord, planId: string): Promise<ActionView> {
  const hour = await databaseHour(deps.db);
  const plan = await offeredPlan(deps.db, planId, hour);
  if (!plan || !plan.active || plan.providerId !== server.provider_id)
    throw new ValidationError({ plan_id: 'Choose a plan from the list.' });
  if (plan.id === server.plan_id) throw new ValidationError({ plan_id: 'The server is already on this plan.' });
  if (!plan.regions.includes(server.region))
    throw new ValidationError({ plan_id: "This plan is not sold in the server's region." });
  const rateOf = (p: { hourly: bigint; withBackupsHourly: bigint }) =>
    server.backups_enabled ? p.withBackupsHourly : p.hourly;
  const newRate = rateOf(plan.price);
  return act(
    deps,
    actor,
    server.id,
    {
      type: 'resize',
      activity: 'server.resized',
      moving: 'resizing',
      details: { from_plan: server.plan_id, to_plan: plan.id, plan: plan.name },
      before: async (trx, locked) => {
        const current = await planPriceAt(trx, locked.plan_id, await databaseHour(trx));
        if (current && newRate <= rateOf(current)) return;
        const wallet = await trx
          .selectFrom('wallets')
          .select('balance')
          .where('organization_id', '=', locked.organization_id)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (wallet.balance < newRate)
          throw new InsufficientFundsError(
            `Resizing to ${plan.name} needs the wallet to cover one hour at its rate (${formatMoney(newRate, plan.price.currency, 4)}); the balance is ${formatMoney(wallet.balance, plan.price.currency)}. Add funds and try again.`,
          );
      },
      after: async (trx) => {
        await trx.updateTable('servers').set({ plan_id: plan.id }).where('id', '=', server.id).execute();
        await nextHourPeriod(trx, server.id, { plan_id: plan.id });
      },
    },
    (cloud, instance) => cloud.resize(instance, plan.providerType),
  );
}
